/** Copy-paste code samples and the downloadable credentials file each Bridge hands its app. */
export { renderSamples, sendEndpoint } from './render-samples.js';
export { shellQuote } from './quote.js';
export {
  REST_LANGUAGES,
  REST_VARIANTS,
  SMTP_LANGUAGES,
  SMTP_VARIANTS,
  type CodeSample,
  type SampleLanguage,
  type SampleTarget,
} from './sample-types.js';
export {
  bridgeSlug,
  renderCredentialsFile,
  type CredentialsFile,
  type CredentialsFormat,
  type CredentialsTarget,
} from './credentials-file.js';

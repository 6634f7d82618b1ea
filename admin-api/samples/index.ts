/** Copy-paste code samples and the downloadable credentials file each Bridge hands its app. */
export {
  renderSamples,
  sendEndpoint,
  shellQuote,
  type CodeSample,
  type SampleLanguage,
  type SampleTarget,
} from './render-samples.js';
export {
  bridgeSlug,
  renderCredentialsFile,
  type CredentialsFile,
  type CredentialsFormat,
  type CredentialsTarget,
} from './credentials-file.js';

/** The shape of a VERP envelope sender the test platform uses (prefix `bounces`, domain = HELO name). */
export const VERP_SENDER = /^bounces\+[a-z2-7]{37}@bridgemail\.test$/;

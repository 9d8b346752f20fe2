package io.sluice.config;

/** What a listener speaks. */
public enum Protocol {
    /** HTTP/1.1 (and h2c by prior knowledge once HTTP/2 lands). */
    HTTP,
    /** TLS, ALPN h2 and http/1.1. */
    HTTPS,
    /** Layer 4: bytes relayed to the upstream's endpoints. */
    TCP
}

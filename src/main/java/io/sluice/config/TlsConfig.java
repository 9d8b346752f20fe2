package io.sluice.config;

import java.nio.file.Path;
import java.util.List;

/** An https listener's certificates, chosen by SNI; the first is the default. */
public record TlsConfig(List<Certificate> certificates) {

    public TlsConfig {
        certificates = List.copyOf(certificates);
    }

    /** A PEM certificate chain and its PEM private key, both absolute paths. */
    public record Certificate(Path cert, Path key) {
    }
}

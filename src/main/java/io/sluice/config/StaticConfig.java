package io.sluice.config;

import java.nio.file.Path;

/** Files served from {@code root} (absolute, resolved against the config file's directory). */
public record StaticConfig(Path root) {
}

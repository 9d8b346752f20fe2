package io.sluice.config;

/** The admin listener; absent from the file means no admin listener. */
public record AdminConfig(HostPort address) {
}

package io.sluice.filter.auth;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * The user and password of an {@code Authorization: Basic ...} (or {@code Proxy-Authorization}) header
 * (RFC 7617: base64 of {@code user:password}, UTF-8), and the SHA-256 of the two that stands for them in
 * the cache of good checks, so the cache holds no password (salted with a random value of the process, so the
 * keys cannot be looked up in a precomputed table either).
 */
public record BasicCredentials(String user, byte[] password, ByteBuffer cacheKey) {
    private static final byte[] SALT = new byte[16];

    static {
        new SecureRandom().nextBytes(SALT);
    }

    /** The credentials of a header value, or null when it is not {@code Basic} with base64 of {@code user:password}. */
    public static BasicCredentials parse(String header) {
        if (header == null) {
            return null;
        }
        String h = header.strip();
        if (h.length() < 7 || !h.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(h.substring(6).strip());
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = -1;
        for (int i = 0; i < decoded.length; i++) {
            if (decoded[i] == ':') {
                colon = i;
                break;
            }
        }
        if (colon < 0) {
            return null;
        }
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has it
        }
        sha256.update(SALT);
        ByteBuffer key = ByteBuffer.wrap(sha256.digest(decoded));
        String user = new String(decoded, 0, colon, StandardCharsets.UTF_8);
        byte[] password = Arrays.copyOfRange(decoded, colon + 1, decoded.length);
        Arrays.fill(decoded, (byte) 0);
        return new BasicCredentials(user, password, key);
    }
}

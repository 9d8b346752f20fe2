package io.sluice.filter.cache;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One response in the cache: its status, the headers worth keeping (no framing, hop-by-hop or per-request ones),
 * its body, and what its age and freshness are computed from (RFC 9111 §4.2). Immutable; shared by every
 * request it answers, on any thread. Times are wall-clock milliseconds so that an entry read from Redis by
 * another instance has the right age there.
 *
 * @param responseMillis when the response (or the 304 that last refreshed it) arrived
 * @param initialAgeMillis its age at that moment (the upstream's {@code Age}, or the {@code Date} it is late by)
 * @param lifetimeMillis   how long it is fresh, counted from its age 0; 0: every use is revalidated
 * @param vary             the request headers it varies on, lower case; empty when none
 */
public record StoredResponse(int status, List<Map.Entry<String, String>> headers, byte[] body, long responseMillis,
                             long initialAgeMillis, long lifetimeMillis, List<String> vary) {
    private static final int FORMAT = 1;

    public long ageMillis(long now) {
        return initialAgeMillis + Math.max(0, now - responseMillis);
    }

    public boolean fresh(long now) {
        return ageMillis(now) < lifetimeMillis;
    }

    /** The first value of {@code name} (case-insensitive), or null. */
    public String header(String name) {
        return Fields.first(headers, name);
    }

    public List<String> headers(String name) {
        return Fields.all(headers, name);
    }

    /** Whether a stale copy can be revalidated (it has an {@code ETag} or a {@code Last-Modified}). */
    public boolean hasValidator() {
        return header("ETag") != null || header("Last-Modified") != null;
    }

    /** About the memory it takes, for the local level's budget. */
    public int weight() {
        int w = 128 + body.length;
        for (Map.Entry<String, String> h : headers) {
            w += 48 + 2 * (h.getKey().length() + h.getValue().length());
        }
        return w;
    }

    /** The form the Redis level keeps. */
    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(body.length + 512);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(FORMAT);
            out.writeInt(status);
            out.writeLong(responseMillis);
            out.writeLong(initialAgeMillis);
            out.writeLong(lifetimeMillis);
            out.writeInt(headers.size());
            for (Map.Entry<String, String> h : headers) {
                out.writeUTF(h.getKey());
                out.writeUTF(h.getValue());
            }
            out.writeInt(vary.size());
            for (String v : vary) {
                out.writeUTF(v);
            }
            out.writeInt(body.length);
            out.write(body);
        } catch (IOException e) { // only a header over 64 KiB; such a head is refused long before
            throw new IllegalArgumentException("cannot store: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    /** Reads {@link #toBytes}; null for bytes of another format (written by another version: a miss). */
    public static StoredResponse fromBytes(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            if (in.readInt() != FORMAT) {
                return null;
            }
            int status = in.readInt();
            long response = in.readLong();
            long initialAge = in.readLong();
            long lifetime = in.readLong();
            int n = in.readInt();
            List<Map.Entry<String, String>> headers = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                headers.add(Map.entry(in.readUTF(), in.readUTF()));
            }
            int v = in.readInt();
            List<String> vary = new ArrayList<>(v);
            for (int i = 0; i < v; i++) {
                vary.add(in.readUTF());
            }
            byte[] body = new byte[in.readInt()];
            in.readFully(body);
            return new StoredResponse(status, List.copyOf(headers), body, response, initialAge, lifetime,
                    List.copyOf(vary));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}

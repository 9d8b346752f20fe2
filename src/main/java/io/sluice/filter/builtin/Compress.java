package io.sluice.filter.builtin;

import io.sluice.filter.api.BodyPart;
import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Headers;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * {@code compress}: gzip for responses a client accepts it for ({@code Accept-Encoding}), of a listed type and
 * not smaller than {@code min_length} when their length is known; never a response that already has
 * {@code Content-Encoding}, a 206, an answer to HEAD, a 204 or 304, or one with {@code Cache-Control: no-transform}.
 * A compressed response has {@code Content-Encoding: gzip}, {@code Vary: Accept-Encoding}, no
 * {@code Content-Length} (it goes chunked), no {@code Accept-Ranges}, and a strong {@code ETag} made weak.
 *
 * <p>Each body part is compressed as it passes and flushed (a sync flush), so a streamed response (server-sent
 * events, a long download) reaches the client as it comes, at a small cost in ratio. The JDK's {@link Deflater}
 * does the work (zlib, native); {@code zstd} and {@code br} of the contract are not in this version.
 */
public final class Compress implements FilterFactory<Compress.Settings> {
    static final long DEFAULT_MIN_LENGTH = 1024;
    static final List<String> DEFAULT_TYPES = List.of("text/*", "application/json", "application/*+json",
            "application/javascript", "application/xml", "application/*+xml", "image/svg+xml", "application/wasm");
    /** zlib's level 5: most of level 9's ratio on text at a fraction of its CPU (nginx's default is 1). */
    static final int LEVEL = 5;

    public record Settings(long minLength, List<String> types) {
    }

    private static final FilterContext.Key<Boolean> ACCEPTS = FilterContext.Key.of("compress.accepts");
    private static final FilterContext.Key<Gzip> STREAM = FilterContext.Key.of("compress.stream");

    @Override
    public String type() {
        return "compress";
    }

    @Override
    public List<String> keys() {
        return List.of("algorithms", "min_length", "types");
    }

    @Override
    public Settings configure(FilterSettings s) {
        boolean ok = true;
        for (String a : s.strings("algorithms")) {
            if (!a.equals("gzip")) {
                s.error("algorithms", a.equals("zstd") || a.equals("br")
                        ? "'" + a + "' is not available in this version (gzip is)"
                        : "unknown algorithm '" + a + "' (expected gzip)");
                ok = false;
            }
        }
        if (s.has("algorithms") && s.strings("algorithms").isEmpty()) {
            s.error("algorithms", "'algorithms' is empty (leave the filter out to compress nothing)");
            ok = false;
        }
        long min = s.size("min_length", DEFAULT_MIN_LENGTH);
        List<String> types = s.has("types") ? s.strings("types") : DEFAULT_TYPES;
        for (String t : types) {
            if (!t.matches("[a-z0-9!#$&^_.+-]+/([a-z0-9!#$&^_.+-]+|\\*|\\*\\+[a-z0-9.-]+)")) {
                s.error("types", "bad media type '" + t + "' (e.g. text/*, application/json, application/*+json)");
                ok = false;
            }
        }
        return ok ? new Settings(min, List.copyOf(types)) : null;
    }

    @Override
    public Filter create(Settings settings, FilterSetup setup) {
        return new Filter() {
            @Override
            public io.sluice.filter.api.Verdict onRequest(FilterContext context) {
                if (!"HEAD".equals(context.request().method())
                        && acceptsGzip(context.request().headers().getAll("Accept-Encoding"))) {
                    context.set(ACCEPTS, Boolean.TRUE);
                }
                return io.sluice.filter.api.Verdict.next();
            }

            @Override
            public void onResponse(FilterContext context) {
                Headers out = context.response().headers();
                int status = context.response().status();
                if (status == 204 || status == 304 || status == 206 || status < 200 || out.contains("Content-Encoding")
                        || noTransform(out.getAll("Cache-Control")) || !listed(settings.types(), out.get("Content-Type"))
                        || shorterThan(out.get("Content-Length"), settings.minLength())) {
                    return;
                }
                Cors.addVary(out, "Accept-Encoding"); // compressed or not, this response depends on Accept-Encoding
                if (context.get(ACCEPTS) == null) {
                    return;
                }
                out.set("Content-Encoding", "gzip");
                out.remove("Content-Length");
                out.remove("Accept-Ranges");
                String etag = out.get("ETag");
                if (etag != null && etag.startsWith("\"")) {
                    out.set("ETag", "W/" + etag); // the compressed bytes are another representation
                }
                context.set(STREAM, new Gzip());
            }

            @Override
            public void onResponseBody(FilterContext context, BodyPart part) {
                Gzip gzip = context.get(STREAM);
                if (gzip != null) {
                    part.replace(ByteBuffer.wrap(gzip.compress(part.content(), part.isLast())));
                }
            }

            @Override
            public boolean wantsResponseBody() {
                return true;
            }
        };
    }

    /** Whether {@code Accept-Encoding} takes gzip: named (or {@code *}) with a quality above 0 (RFC 9110 §12.5.3). */
    static boolean acceptsGzip(List<String> acceptEncoding) {
        Boolean gzip = null;
        boolean any = false;
        for (String field : acceptEncoding) {
            for (String item : field.split(",")) {
                String[] parts = item.split(";");
                String coding = parts[0].strip().toLowerCase(Locale.ROOT);
                boolean zero = false;
                for (int i = 1; i < parts.length; i++) {
                    String p = parts[i].strip().toLowerCase(Locale.ROOT);
                    if (p.startsWith("q=")) {
                        try {
                            zero = Double.parseDouble(p.substring(2)) <= 0;
                        } catch (NumberFormatException e) {
                            zero = true;
                        }
                    }
                }
                if (coding.equals("gzip") || coding.equals("x-gzip")) {
                    gzip = !zero;
                } else if (coding.equals("*")) {
                    any = !zero;
                }
            }
        }
        return gzip != null ? gzip : any;
    }

    /** A known length under {@code min} (or one that does not parse: left alone). */
    static boolean shorterThan(String contentLength, long min) {
        if (contentLength == null) {
            return false;
        }
        try {
            return Long.parseLong(contentLength.strip()) < min;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    static boolean noTransform(List<String> cacheControl) {
        for (String v : cacheControl) {
            if (v.toLowerCase(Locale.ROOT).contains("no-transform")) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code contentType} (parameters ignored) is one of {@code types} ({@code text/*}, {@code application/*+json}). */
    static boolean listed(List<String> types, String contentType) {
        if (contentType == null) {
            return false;
        }
        int semi = contentType.indexOf(';');
        String type = (semi < 0 ? contentType : contentType.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
        int slash = type.indexOf('/');
        if (slash < 0) {
            return false;
        }
        for (String t : types) {
            if (t.equals(type)) {
                return true;
            }
            int star = t.indexOf('*');
            if (star > 0 && type.startsWith(t.substring(0, star))) {
                String suffix = t.substring(star + 1); // "" for text/*, "+json" for application/*+json
                if (type.endsWith(suffix) && type.length() > star + suffix.length()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** One response's gzip stream (RFC 1952): a header, raw deflate with a sync flush per part, CRC-32 and size. */
    static final class Gzip {
        private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
        private final Deflater deflater = new Deflater(LEVEL, true);
        private final CRC32 crc = new CRC32();
        private final byte[] buffer = new byte[8192];
        private long size;
        private boolean started;

        byte[] compress(ByteBuffer in, boolean last) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, in.remaining() / 2));
            if (!started) {
                started = true;
                out.write(HEADER, 0, HEADER.length);
            }
            size += in.remaining();
            crc.update(in.duplicate());
            deflater.setInput(in);
            if (last) {
                deflater.finish();
                while (!deflater.finished()) {
                    out.write(buffer, 0, deflater.deflate(buffer));
                }
                deflater.end(); // its native memory now, not at the next collection
                int c = (int) crc.getValue();
                int n = (int) size;
                out.write(new byte[] {(byte) c, (byte) (c >> 8), (byte) (c >> 16), (byte) (c >> 24),
                        (byte) n, (byte) (n >> 8), (byte) (n >> 16), (byte) (n >> 24)}, 0, 8);
            } else {
                int n;
                do {
                    n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
                    out.write(buffer, 0, n);
                } while (n == buffer.length || !deflater.needsInput());
            }
            return out.toByteArray();
        }
    }
}

package io.sluice.filter.builtin;

import io.sluice.filter.api.BodyPart;
import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Headers;
import io.sluice.filter.compress.AcceptEncoding;
import io.sluice.filter.compress.Coding;
import io.sluice.filter.compress.CompressingStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code compress}: zstd, br or gzip, the client's choice among {@code algorithms} ({@code Accept-Encoding} with its
 * q-values, then the configured order), for responses of a listed type and not smaller than {@code min_length}
 * when their length is known; never a response that already has {@code Content-Encoding}, a 206, an answer to
 * HEAD, a 204 or 304, or one with {@code Cache-Control: no-transform}. A compressed response has its
 * {@code Content-Encoding}, {@code Vary: Accept-Encoding}, no {@code Content-Length} (it goes chunked), no
 * {@code Accept-Ranges}, and a strong {@code ETag} made weak.
 *
 * <p>Each body part is compressed as it passes and flushed, so a streamed response (server-sent events, a long
 * download) reaches the client as it comes, at a small cost in ratio. The codings are in
 * {@link io.sluice.filter.compress}; zstd's and brotli's native libraries load at the first response that uses
 * them, and each response's compressor is freed when the response ends, however it ends.
 */
public final class Compress implements FilterFactory<Compress.Settings> {
    static final long DEFAULT_MIN_LENGTH = 1024;
    static final List<String> DEFAULT_TYPES = List.of("text/*", "application/json", "application/*+json",
            "application/javascript", "application/xml", "application/*+xml", "image/svg+xml", "application/wasm");
    /** The contract's order of preference (names: Coding is loaded only when a compress filter is configured). */
    static final List<String> DEFAULT_ALGORITHMS = List.of("zstd", "br", "gzip");

    public record Settings(List<Coding> algorithms, long minLength, List<String> types) {
    }

    /** The codings the client takes, best first (set only when there is one). */
    private static final FilterContext.Key<List<Coding>> ACCEPTED = FilterContext.Key.of("compress.accepted");
    private static final FilterContext.Key<CompressingStream> STREAM = FilterContext.Key.of("compress.stream");

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
        List<Coding> algorithms = new ArrayList<>();
        if (!s.has("algorithms")) {
            // where Sluice has no zstd or brotli library for the platform, the default is what it can do
            DEFAULT_ALGORITHMS.stream().map(Coding::of).filter(Coding::shippedHere).forEach(algorithms::add);
        }
        for (String a : s.has("algorithms") ? s.strings("algorithms") : List.<String>of()) {
            Coding c = Coding.of(a);
            if (c == null) {
                s.error("algorithms", "unknown algorithm '" + a + "' (expected zstd, br or gzip)");
                ok = false;
            } else if (!c.shippedHere()) {
                s.error("algorithms", "'" + a + "' needs its native library, which Sluice has for Linux x86_64 only"
                        + " (this is " + System.getProperty("os.name") + " " + System.getProperty("os.arch")
                        + "): leave it out of algorithms");
                ok = false;
            } else if (algorithms.contains(c)) {
                s.error("algorithms", "'" + a + "' is listed twice");
                ok = false;
            } else {
                algorithms.add(c);
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
        return ok ? new Settings(List.copyOf(algorithms), min, List.copyOf(types)) : null;
    }

    @Override
    public Filter create(Settings settings, FilterSetup setup) {
        return new Filter() {
            @Override
            public io.sluice.filter.api.Verdict onRequest(FilterContext context) {
                if (!"HEAD".equals(context.request().method())) {
                    List<Coding> accepted = AcceptEncoding.acceptable(settings.algorithms(),
                            context.request().headers().getAll("Accept-Encoding"));
                    if (!accepted.isEmpty()) {
                        context.set(ACCEPTED, accepted);
                    }
                }
                return io.sluice.filter.api.Verdict.next();
            }

            @Override
            public void onResponse(FilterContext context) {
                Headers out = context.response().headers();
                int status = context.response().status();
                if (status == 304) {
                    notModified(context, out);
                    return;
                }
                if (status == 204 || status == 206 || status < 200 || out.contains("Content-Encoding")
                        || noTransform(out.getAll("Cache-Control")) || !listed(settings.types(), out.get("Content-Type"))
                        || shorterThan(out.get("Content-Length"), settings.minLength())) {
                    return;
                }
                Cors.addVary(out, "Accept-Encoding"); // compressed or not, this response depends on Accept-Encoding
                List<Coding> accepted = context.get(ACCEPTED);
                if (accepted == null) {
                    return;
                }
                for (Coding coding : accepted) {
                    CompressingStream stream = coding.open(); // null: its native library cannot load here
                    if (stream != null) {
                        context.onEnd(stream::close); // its native memory goes when the response ends, however
                        context.set(STREAM, stream);
                        out.set("Content-Encoding", coding.token());
                        out.remove("Content-Length");
                        out.remove("Accept-Ranges");
                        String etag = out.get("ETag");
                        if (etag != null && etag.startsWith("\"")) {
                            out.set("ETag", "W/" + etag); // the compressed bytes are another representation
                        }
                        return;
                    }
                }
            }

            /**
             * A 304 carries the Vary and ETag the 200 would have (RFC 9110 §15.4.5). Without a body or (mostly) a
             * Content-Type, whether that 200 would be compressed is unknown: Vary always, unless a Content-Type
             * says it would not be; the ETag weakened when the client accepts one of the algorithms.
             */
            private void notModified(FilterContext context, Headers out) {
                if (out.contains("Content-Encoding") || noTransform(out.getAll("Cache-Control"))
                        || (out.contains("Content-Type") && !listed(settings.types(), out.get("Content-Type")))) {
                    return;
                }
                Cors.addVary(out, "Accept-Encoding");
                String etag = out.get("ETag");
                if (context.get(ACCEPTED) != null && etag != null && etag.startsWith("\"")) {
                    out.set("ETag", "W/" + etag);
                }
            }

            @Override
            public void onResponseBody(FilterContext context, BodyPart part) {
                CompressingStream stream = context.get(STREAM);
                if (stream != null) {
                    part.replace(ByteBuffer.wrap(stream.compress(part.content(), part.isLast())));
                }
            }

            @Override
            public boolean wantsResponseBody() {
                return true;
            }
        };
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
}

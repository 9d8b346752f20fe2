package io.sluice.response;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A request path turned into plain file-name segments that cannot leave the root: the first of the two
 * guards of {@link StaticFiles} (the second compares real paths, for symlinks).
 *
 * <p>The raw path is split on {@code /} <em>before</em> percent-decoding, so {@code %2F} can never make a
 * separator; each segment is then decoded as UTF-8 and dot-segments are resolved on the decoded text, so
 * {@code %2e%2e} counts as {@code ..}. Empty segments ({@code //}) are merged as nginx does. Rejected with
 * {@link IllegalArgumentException} (answered 400): a bad escape, invalid UTF-8, a decoded NUL, a
 * {@code /} or {@code \} inside a segment (raw or decoded), and a {@code ..} that would climb above the
 * root.
 *
 * @param segments      the file-name segments under the root; empty for the root itself
 * @param directoryForm the path named a directory: it ended with {@code /}, {@code /.} or {@code /..}
 */
record StaticPath(List<String> segments, boolean directoryForm) {

    StaticPath {
        segments = List.copyOf(segments);
    }

    static StaticPath parse(String rawPath) {
        List<String> segments = new ArrayList<>();
        boolean directoryForm = true; // "" and "/" are the root
        int start = 0;
        int length = rawPath.length();
        while (start <= length) {
            int slash = rawPath.indexOf('/', start);
            int end = slash < 0 ? length : slash;
            String segment = decode(rawPath, start, end);
            if (segment.isEmpty()) {
                // "//" or the leading "/" (or the trailing one, which keeps directoryForm as it is)
            } else if (segment.equals(".")) {
                directoryForm = true;
            } else if (segment.equals("..")) {
                if (segments.isEmpty()) {
                    throw new IllegalArgumentException("'..' climbs above the root: " + rawPath);
                }
                segments.remove(segments.size() - 1);
                directoryForm = true;
            } else {
                segments.add(segment);
                directoryForm = false;
            }
            if (slash < 0) {
                break;
            }
            if (slash == length - 1) {
                directoryForm = true;
            }
            start = slash + 1;
        }
        return new StaticPath(segments, directoryForm);
    }

    /**
     * Percent-decodes {@code raw[from, to)} as UTF-8. Characters up to U+00FF are taken as the bytes they
     * stood for on the wire (Netty reads the request line byte per char), so raw UTF-8 works as well.
     */
    private static String decode(String raw, int from, int to) {
        boolean plain = true;
        for (int i = from; i < to && plain; i++) {
            char c = raw.charAt(i);
            plain = c != '%' && c < 0x80;
        }
        if (plain) {
            return checked(raw.substring(from, to), raw);
        }
        ByteBuffer bytes = ByteBuffer.allocate((to - from) * 3); // a char is at most 3 UTF-8 bytes
        for (int i = from; i < to; i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int hi = i + 2 < to ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    throw new IllegalArgumentException("bad percent-escape in " + raw);
                }
                bytes.put((byte) (hi << 4 | lo));
                i += 2;
            } else if (c <= 0xFF) {
                bytes.put((byte) c);
            } else {
                bytes.put(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        bytes.flip();
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = utf8.decode(bytes);
            return checked(chars.toString(), raw);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("not UTF-8 after percent-decoding: " + raw, e);
        }
    }

    private static String checked(String segment, String raw) {
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c == 0 || c == '/' || c == '\\') {
                throw new IllegalArgumentException("NUL, '/' or '\\' in a path segment: " + raw);
            }
        }
        return segment;
    }
}

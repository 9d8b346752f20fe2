package io.sluice.exchange;

import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Common HTTP/1.1 field names as shared constants, for a decoder to hand out instead of a new copy per
 * message (Netty's decoders copy every name they do not know; its request decoder knows five, its response
 * decoder none). A name is found only when the bytes are exactly the constant's, case included, so what is
 * forwarded is byte for byte what came. Each name is kept as given and in lower case (how h2-minded
 * software writes them). Read-only once built: shared by every event loop.
 */
public final class FieldNameTable {
    /** By length: the names of that many bytes. */
    private final AsciiString[][] byLength;

    public FieldNameTable(String... names) {
        int longest = 0;
        for (String name : names) {
            longest = Math.max(longest, name.length());
        }
        List<List<AsciiString>> lists = new ArrayList<>();
        for (int i = 0; i <= longest; i++) {
            lists.add(new ArrayList<>());
        }
        for (String name : names) {
            for (String form : new String[] {name, name.toLowerCase(Locale.ROOT)}) {
                AsciiString constant = new AsciiString(form.getBytes(StandardCharsets.US_ASCII), false);
                if (!lists.get(form.length()).contains(constant)) {
                    lists.get(form.length()).add(constant);
                }
            }
        }
        byLength = new AsciiString[longest + 1][];
        for (int i = 0; i <= longest; i++) {
            byLength[i] = lists.get(i).toArray(AsciiString[]::new);
        }
    }

    /** The shared constant whose bytes are {@code line[start, start + length)}, or null. */
    public AsciiString find(byte[] line, int start, int length) {
        if (length >= byLength.length) {
            return null;
        }
        for (AsciiString name : byLength[length]) {
            if (Arrays.equals(line, start, start + length, name.array(), name.arrayOffset(), name.arrayOffset() + length)) {
                return name;
            }
        }
        return null;
    }
}

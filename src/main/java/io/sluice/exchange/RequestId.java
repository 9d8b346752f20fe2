package io.sluice.exchange;

import io.netty.util.AsciiString;
import java.util.concurrent.ThreadLocalRandom;

/** X-Request-ID: the client's value when it is 1 to 200 visible ASCII characters, otherwise a new random one. */
public final class RequestId {
    public static final AsciiString HEADER = AsciiString.cached("X-Request-ID");
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private RequestId() {
    }

    /** True when {@code id} may be passed on as it is. */
    public static boolean acceptable(String id) {
        if (id == null || id.isEmpty() || id.length() > 200) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /** 32 random hex digits (128 bits). */
    public static AsciiString generate() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        byte[] out = new byte[32];
        long hi = random.nextLong();
        long lo = random.nextLong();
        for (int i = 0; i < 16; i++) {
            out[i] = HEX[(int) (hi >>> (60 - 4 * i)) & 0xf];
            out[16 + i] = HEX[(int) (lo >>> (60 - 4 * i)) & 0xf];
        }
        return new AsciiString(out, false);
    }
}

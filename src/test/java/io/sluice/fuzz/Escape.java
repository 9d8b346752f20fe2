package io.sluice.fuzz;

import io.netty.buffer.ByteBuf;

/** Bytes as readable text for failure messages: printable ASCII as is, the rest as \r, \n, \xNN. */
final class Escape {
    private static final int MAX = 2000;

    private Escape() {
    }

    static String bytes(byte[] b, int from) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < b.length && sb.length() < MAX; i++) {
            append(sb, b[i]);
        }
        return sb.toString();
    }

    static String bytes(ByteBuf b, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to && sb.length() < MAX; i++) {
            append(sb, b.getByte(i));
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, byte x) {
        int c = x & 0xff;
        if (c == '\r') {
            sb.append("\\r");
        } else if (c == '\n') {
            sb.append("\\n\n");
        } else if (c >= 0x20 && c < 0x7f && c != '\\') {
            sb.append((char) c);
        } else {
            sb.append(String.format("\\x%02x", c));
        }
    }
}

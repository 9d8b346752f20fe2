package io.sluice.tls;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/** Reading a TLS ClientHello body (from client_version on, as Netty's SslClientHelloHandler hands it over). */
final class ClientHellos {
    private static final int ALPN = 16;

    private ClientHellos() {
    }

    /** Whether the ClientHello's ALPN extension (RFC 7301) lists {@code protocol}; false when malformed. */
    static boolean offersAlpn(ByteBuf hello, String protocol) {
        byte[] wanted = protocol.getBytes(StandardCharsets.US_ASCII);
        int end = hello.writerIndex();
        int at = hello.readerIndex() + 34; // client_version, random
        if (at + 1 > end) {
            return false;
        }
        at += 1 + hello.getUnsignedByte(at); // session_id
        if (at + 2 > end) {
            return false;
        }
        at += 2 + hello.getUnsignedShort(at); // cipher_suites
        if (at + 1 > end) {
            return false;
        }
        at += 1 + hello.getUnsignedByte(at); // compression_methods
        if (at + 2 > end) {
            return false;
        }
        int extensionsEnd = Math.min(end, at + 2 + hello.getUnsignedShort(at));
        at += 2;
        while (at + 4 <= extensionsEnd) {
            int type = hello.getUnsignedShort(at);
            int length = hello.getUnsignedShort(at + 2);
            at += 4;
            if (at + length > extensionsEnd) {
                return false;
            }
            if (type == ALPN && length >= 2) {
                int listEnd = Math.min(at + length, at + 2 + hello.getUnsignedShort(at));
                int p = at + 2;
                while (p < listEnd) {
                    int n = hello.getUnsignedByte(p);
                    p++;
                    if (p + n > listEnd) {
                        return false;
                    }
                    if (n == wanted.length) {
                        boolean same = true;
                        for (int i = 0; i < n && same; i++) {
                            same = hello.getByte(p + i) == wanted[i];
                        }
                        if (same) {
                            return true;
                        }
                    }
                    p += n;
                }
                return false;
            }
            at += length;
        }
        return false;
    }
}

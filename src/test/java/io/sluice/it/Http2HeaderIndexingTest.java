package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import org.junit.jupiter.api.Test;

/**
 * How the proxy's HPACK encoder sends the fields of a response head, read from the wire: the request id, new in
 * every response, is sent "never indexed" (RFC 7541 §6.2.3) and so never fills the client's dynamic table, while a
 * field that repeats is indexed and then sent as one byte.
 */
class Http2HeaderIndexingTest {
    static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - respond: { status: 200, body: "ok\\n", headers: { x-served-by: sluice } }
            """;

    @Test
    void theRequestIdIsNeverIndexedAndARepeatedFieldIsIndexedOnce() throws Exception {
        try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML);
             Socket s = new Socket("127.0.0.1", sluice.port("main"))) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(Http2AbuseTest.frame(Http2AbuseTest.SETTINGS, 0, 0, new byte[0]));
            DataInputStream in = new DataInputStream(s.getInputStream());
            DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);

            List<Map<String, String>> heads = new ArrayList<>();
            for (int stream = 1; stream <= 5; stream += 2) {
                out.write(Http2AbuseTest.frame(Http2AbuseTest.HEADERS, Http2AbuseTest.END_HEADERS | Http2AbuseTest.END_STREAM,
                        stream, Http2AbuseTest.GET));
                out.flush();
                heads.add(responseHead(in, stream, decoder));
            }

            for (Map<String, String> head : heads) {
                assertThat(head).containsEntry("x-request-id", "never indexed");
            }
            assertThat(heads.get(0)).containsEntry("x-served-by", "indexed from now on");
            assertThat(heads.get(1)).containsEntry("x-served-by", "from the table");
            assertThat(heads.get(2)).containsEntry("x-served-by", "from the table");
        }
    }

    /** The response head of {@code stream}: each field's name and how it was represented. */
    private static Map<String, String> responseHead(DataInputStream in, int stream, DefaultHttp2HeadersDecoder decoder)
            throws Exception {
        while (true) {
            int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int id = in.readInt() & 0x7fffffff;
            byte[] payload = new byte[length];
            in.readFully(payload);
            if (type == 0x1 && id == stream) {
                assertThat(flags & 0x4).as("the head in one frame").isNotZero();
                List<String> kinds = representations(payload);
                ByteBuf block = Unpooled.wrappedBuffer(payload);
                Http2Headers fields = decoder.decodeHeaders(stream, block); // the table must follow every block
                block.release();
                Map<String, String> head = new LinkedHashMap<>();
                int i = 0;
                for (Entry<CharSequence, CharSequence> field : fields) {
                    head.put(field.getKey().toString(), kinds.get(i++));
                }
                return head;
            }
        }
    }

    /** How each field of an HPACK block is represented (RFC 7541 §6), in order; table size updates are skipped. */
    static List<String> representations(byte[] block) {
        List<String> kinds = new ArrayList<>();
        int[] at = {0};
        while (at[0] < block.length) {
            int first = block[at[0]] & 0xff;
            if ((first & 0x80) != 0) {
                kinds.add("from the table");
                integer(block, at, 7);
            } else if ((first & 0xc0) == 0x40) {
                kinds.add("indexed from now on");
                literal(block, at, 6);
            } else if ((first & 0xe0) == 0x20) {
                integer(block, at, 5); // dynamic table size update
            } else {
                kinds.add((first & 0x10) != 0 ? "never indexed" : "not indexed");
                literal(block, at, 4);
            }
        }
        return kinds;
    }

    private static void literal(byte[] block, int[] at, int prefix) {
        if (integer(block, at, prefix) == 0) {
            skipString(block, at); // the name, when it is not an index
        }
        skipString(block, at); // the value
    }

    private static void skipString(byte[] block, int[] at) {
        int length = integer(block, at, 7); // after the Huffman flag
        at[0] += length;
    }

    /** An HPACK integer with an N-bit prefix (§5.1) at {@code at[0]}, which it moves past it. */
    private static int integer(byte[] block, int[] at, int prefix) {
        int max = (1 << prefix) - 1;
        int value = block[at[0]++] & max;
        if (value < max) {
            return value;
        }
        int shift = 0;
        int b;
        do {
            b = block[at[0]++] & 0xff;
            value += (b & 0x7f) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        return value;
    }
}

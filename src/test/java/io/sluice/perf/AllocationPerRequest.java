package io.sluice.perf;

import io.sluice.it.SluiceUnderTest;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Bytes the proxy's event loops allocate per forwarded request, measured with the JVM's per-thread
 * allocation counters: a deterministic figure for "no avoidable allocation per request" that does not
 * depend on how busy the machine is. Run with {@code bench/alloc}.
 *
 * <p>One keep-alive client sends GETs through Sluice to a tiny upstream; after a warm-up the allocation
 * of the sluice-worker threads is read before and after {@code N} requests. A second argument puts filters
 * on the route: {@code none}, {@code noop3} (three filters that do nothing) or {@code rate_limit} (one that
 * never refuses). A third chooses the client: {@code h1} (HTTP/1.1, three fields, the default), {@code browser}
 * (HTTP/1.1, the fifteen fields a desktop browser sends) or {@code h2c} (HTTP/2 by prior knowledge, one stream
 * after another on one connection, the upstream still HTTP/1.1).
 */
public final class AllocationPerRequest {

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        // The route's filters: none (the default), three that do nothing, or a rate_limit that never refuses.
        String chain = args.length > 1 ? args[1] : "none";
        String filters = switch (chain) {
            case "none" -> "";
            case "noop3" -> ", filters: [ { noop: {} }, { noop: {} }, { noop: {} } ]";
            case "rate_limit" -> ", filters: [ { rate_limit: { rate: 1000000000/s } } ]";
            default -> throw new IllegalArgumentException("filters: " + chain + " (expected none, noop3 or rate_limit)");
        };
        String protocol = args.length > 2 ? args[2] : "h1";
        if (!protocol.equals("h1") && !protocol.equals("h2c") && !protocol.equals("browser")) {
            throw new IllegalArgumentException("protocol: " + protocol + " (expected h1, browser or h2c)");
        }
        byte[] answer = "hello world, this is a small response body of about a hundred bytes......\n"
                .getBytes(StandardCharsets.US_ASCII);
        // A minimal upstream that answers each request with one write (the JDK's HttpServer writes head
        // and body separately and, without TCP_NODELAY, waits on delayed ACKs: 40 ms a request).
        byte[] response = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + answer.length
                + "\r\n\r\n" + new String(answer, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII);
        ServerSocket upstream = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> serve(upstream, response), "upstream");
        acceptor.setDaemon(true);
        acceptor.start();
        String yaml = """
                server: { workers: 1 }
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes: [ { upstream: app%s } ]
                upstreams:
                  app:
                    endpoints: [ { address: "${UP}" } ]
                """.formatted(filters);
        try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml,
                Map.of("UP", "127.0.0.1:" + upstream.getLocalPort()));
             Socket socket = new Socket("127.0.0.1", sluice.port("main"))) {
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            Client client;
            if (protocol.equals("h2c")) {
                client = new H2cClient(out, in);
            } else {
                byte[] request = (protocol.equals("browser") ? BROWSER_GET
                        : "GET /small?x=1 HTTP/1.1\r\nHost: bench.local\r\nUser-Agent: alloc\r\nAccept: */*\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                client = () -> {
                    out.write(request);
                    out.flush();
                    readResponse(in);
                };
            }
            run(client, requests / 2); // warm-up: JIT, pools, caches
            long before = workerAllocatedBytes();
            long start = System.nanoTime();
            run(client, requests);
            long nanos = System.nanoTime() - start;
            long after = workerAllocatedBytes();
            System.out.printf("protocol: %s%nfilters: %s%nrequests: %d%nallocated by event loops: %.0f bytes/request%n"
                            + "single-connection latency: %.1f us/request (includes the JDK test upstream)%n",
                    protocol, chain, requests, (after - before) / (double) requests, nanos / 1000.0 / requests);
        } finally {
            upstream.close();
        }
    }

    /** A GET as a desktop browser sends it over HTTP/1.1 (its fields, their case and order). */
    private static final String BROWSER_GET = "GET /small?x=1 HTTP/1.1\r\n"
            + "Host: bench.local\r\n"
            + "Connection: keep-alive\r\n"
            + "sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n"
            + "sec-ch-ua-mobile: ?0\r\n"
            + "sec-ch-ua-platform: \"Linux\"\r\n"
            + "Upgrade-Insecure-Requests: 1\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
            + "Sec-Fetch-Site: none\r\n"
            + "Sec-Fetch-Mode: navigate\r\n"
            + "Sec-Fetch-User: ?1\r\n"
            + "Sec-Fetch-Dest: document\r\n"
            + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
            + "Accept-Language: en-US,en;q=0.9\r\n"
            + "Cookie: session=0123456789abcdef\r\n"
            + "\r\n";

    /** Sends one request and reads its whole response. */
    private interface Client {
        void exchange() throws Exception;
    }

    private static void run(Client client, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            client.exchange();
        }
    }

    /**
     * A minimal HTTP/2 client (prior knowledge): the preface, empty SETTINGS and a connection window opened
     * wide once, then one GET stream at a time, its header block HPACK-encoded without the dynamic table (the
     * same bytes every time) and the response read frame by frame until END_STREAM. Enough to measure the
     * proxy; not a general client.
     */
    private static final class H2cClient implements Client {
        private static final int DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, PING = 6, GOAWAY = 7;
        private static final int END_STREAM = 0x1, END_HEADERS = 0x4, ACK = 0x1;
        private final OutputStream out;
        private final DataInputStream in;
        private final byte[] headerBlock;
        private int streamId = 1;

        H2cClient(OutputStream out, InputStream in) throws Exception {
            this.out = out;
            this.in = new DataInputStream(in);
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            block.write(0x82); // :method GET (static table 2)
            block.write(0x86); // :scheme http (6)
            literal(block, 4, "/small?x=1"); // :path
            literal(block, 1, "bench.local"); // :authority
            literal(block, 58, "alloc"); // user-agent
            literal(block, 19, "*/*"); // accept
            headerBlock = block.toByteArray();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            frame(SETTINGS, 0, 0, new byte[0]);
            frame(8, 0, 0, new byte[] {0x7f, (byte) 0xff, 0, 0}); // WINDOW_UPDATE: the connection window ~2 GiB
            out.flush();
        }

        /** A literal field without indexing, its name from the static table (RFC 7541 §6.2.2). */
        private static void literal(ByteArrayOutputStream block, int nameIndex, String value) {
            if (nameIndex < 15) {
                block.write(nameIndex);
            } else {
                block.write(0x0f);
                block.write(nameIndex - 15);
            }
            block.write(value.length()); // short values: a 7-bit length, no Huffman coding
            block.writeBytes(value.getBytes(StandardCharsets.US_ASCII));
        }

        private void frame(int type, int flags, int stream, byte[] payload) throws Exception {
            out.write(new byte[] {(byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length,
                    (byte) type, (byte) flags,
                    (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream});
            out.write(payload);
        }

        @Override
        public void exchange() throws Exception {
            int stream = streamId;
            streamId += 2;
            frame(HEADERS, END_STREAM | END_HEADERS, stream, headerBlock);
            out.flush();
            while (true) {
                int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                int id = in.readInt() & 0x7fffffff;
                byte[] payload = in.readNBytes(length);
                if (type == SETTINGS && (flags & ACK) == 0) {
                    frame(SETTINGS, ACK, 0, new byte[0]);
                    out.flush();
                } else if (type == PING && (flags & ACK) == 0) {
                    frame(PING, ACK, 0, payload);
                    out.flush();
                } else if (type == RST_STREAM || type == GOAWAY) {
                    throw new IllegalStateException("the proxy sent frame type " + type + " on stream " + id);
                } else if ((type == DATA || type == HEADERS) && id == stream && (flags & END_STREAM) != 0) {
                    return;
                }
            }
        }
    }

    /** Reads one response with a Content-Length body. */
    private static void readResponse(InputStream in) throws Exception {
        int contentLength = -1;
        StringBuilder line = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IllegalStateException("connection closed");
            }
            if (b == '\n') {
                String l = line.toString().trim();
                line.setLength(0);
                if (l.isEmpty()) {
                    break;
                }
                if (l.regionMatches(true, 0, "content-length:", 0, 15)) {
                    contentLength = Integer.parseInt(l.substring(15).trim());
                }
            } else {
                line.append((char) b);
            }
        }
        in.readNBytes(contentLength);
    }

    private static void serve(ServerSocket server, byte[] response) {
        while (!server.isClosed()) {
            try {
                Socket connection = server.accept();
                connection.setTcpNoDelay(true);
                Thread t = new Thread(() -> {
                    try (connection) {
                        InputStream in = new BufferedInputStream(connection.getInputStream());
                        OutputStream out = connection.getOutputStream();
                        int matched = 0;
                        int b;
                        while ((b = in.read()) >= 0) {
                            matched = (b == '\n') ? (matched == 1 ? 2 : 1) : (b == '\r' ? matched : 0);
                            if (matched == 2) { // end of a head (requests here have no body)
                                out.write(response);
                                out.flush();
                                matched = 0;
                            }
                        }
                    } catch (Exception e) {
                        // connection closed
                    }
                }, "upstream-connection");
                t.setDaemon(true);
                t.start();
            } catch (Exception e) {
                return;
            }
        }
    }

    private static long workerAllocatedBytes() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long total = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("sluice-worker")) {
                total += threads.getThreadAllocatedBytes(t.getId());
            }
        }
        return total;
    }
}

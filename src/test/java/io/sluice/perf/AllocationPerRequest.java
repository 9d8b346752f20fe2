package io.sluice.perf;

import io.sluice.it.SluiceUnderTest;
import java.io.BufferedInputStream;
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
 * never refuses).
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
            byte[] request = ("GET /small?x=1 HTTP/1.1\r\nHost: bench.local\r\nUser-Agent: alloc\r\n"
                    + "Accept: */*\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            run(out, in, request, requests / 2); // warm-up: JIT, pools, caches
            long before = workerAllocatedBytes();
            long start = System.nanoTime();
            run(out, in, request, requests);
            long nanos = System.nanoTime() - start;
            long after = workerAllocatedBytes();
            System.out.printf("filters: %s%nrequests: %d%nallocated by event loops: %.0f bytes/request%n"
                            + "single-connection latency: %.1f us/request (includes the JDK test upstream)%n",
                    chain, requests, (after - before) / (double) requests, nanos / 1000.0 / requests);
        } finally {
            upstream.close();
        }
    }

    private static void run(OutputStream out, InputStream in, byte[] request, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            out.write(request);
            out.flush();
            readResponse(in);
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

package io.sluice.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain ServerSocket on 127.0.0.1 port 0 that runs {@code handler} on its own thread for every
 * accepted connection, for upstreams whose bytes on the wire matter. Counts accepts.
 */
final class RawServer implements AutoCloseable {
    interface ConnectionHandler {
        void handle(Socket socket, int index) throws Exception;
    }

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();

    RawServer(ConnectionHandler handler) throws IOException {
        // A deep backlog: tests open hundreds of connections at once, and a full accept queue drops SYNs,
        // which the kernel retries only after a second or more.
        server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        threads.execute(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                int index = accepted.getAndIncrement();
                sockets.add(s);
                threads.execute(() -> {
                    try (s) {
                        s.setSoTimeout(30_000);
                        handler.handle(s, index);
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                });
            }
        });
    }

    int port() {
        return server.getLocalPort();
    }

    String address() {
        return "127.0.0.1:" + port();
    }

    int accepted() {
        return accepted.get();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        threads.shutdownNow();
    }

    /** Reads a request or response head up to the blank line; null at end of stream before any byte. */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int matched = 0;
        for (int i = 0; i < 64 * 1024; i++) {
            int b = in.read();
            if (b == -1) {
                return buf.size() == 0 ? null : buf.toString(StandardCharsets.ISO_8859_1);
            }
            buf.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return buf.toString(StandardCharsets.ISO_8859_1);
            }
        }
        throw new IOException("head too long");
    }

    /** The Content-Length of a head, or -1. */
    static long contentLength(String head) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                return Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        return -1;
    }

    /** Reads and drops up to {@code n} bytes; returns how many arrived before end of stream. */
    static long skip(InputStream in, long n) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long got = 0;
        while (got < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - got));
            if (r == -1) {
                break;
            }
            got += r;
        }
        return got;
    }
}

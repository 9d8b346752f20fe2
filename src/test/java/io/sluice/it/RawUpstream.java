package io.sluice.it;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw-socket upstream for tests where the exact bytes matter: it reads each request (head, then a
 * Content-Length or chunked body with its trailers) and records its bytes exactly as they arrived, then
 * lets a {@link Responder} write whatever it likes (or close, or hang).
 */
public final class RawUpstream implements AutoCloseable {
    /** Writes the answer to one request; return false to close the connection afterwards. */
    @FunctionalInterface
    public interface Responder {
        boolean respond(String request, OutputStream out) throws IOException;
    }

    private final ServerSocket server;
    private final Responder responder;
    private final LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final CopyOnWriteArrayList<Socket> sockets = new CopyOnWriteArrayList<>();
    /** Every byte each connection received, in accept order: what a smuggling test compares byte for byte. */
    private final CopyOnWriteArrayList<ByteArrayOutputStream> wire = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<java.util.concurrent.atomic.AtomicBoolean> closed = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private RawUpstream(Responder responder) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.responder = responder;
        this.acceptor = new Thread(this::acceptLoop, "raw-upstream-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static RawUpstream start(Responder responder) throws IOException {
        return new RawUpstream(responder);
    }

    /** Answers every request with {@code response} verbatim and keeps the connection. */
    public static RawUpstream answering(String response) throws IOException {
        return new RawUpstream((req, out) -> {
            out.write(response.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return true;
        });
    }

    public String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** The next request's bytes exactly as received (ISO-8859-1), waiting up to 10 s. */
    public String next() throws InterruptedException {
        String r = received.poll(10, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("raw upstream received no request");
        }
        return r;
    }

    public int receivedCount() {
        return received.size();
    }

    /** How many connections the proxy opened to this upstream. */
    public int connections() {
        return wire.size();
    }

    /** Every byte connection {@code index} (0 = the first accepted) received so far, as ISO-8859-1. */
    public String wire(int index) {
        ByteArrayOutputStream bytes = wire.get(index);
        synchronized (bytes) {
            return bytes.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** Whether connection {@code index} has been closed by the proxy (or the upstream gave up on it). */
    public boolean connectionClosed(int index) {
        return index < closed.size() && closed.get(index).get();
    }

    /** Every byte all connections received so far, connection after connection. */
    public String wire() {
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < wire.size(); i++) {
            all.append(wire(i));
        }
        return all.toString();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                ByteArrayOutputStream log = new ByteArrayOutputStream();
                java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
                closed.add(done);
                wire.add(log);
                Thread t = new Thread(() -> {
                    serve(s, log);
                    done.set(true);
                }, "raw-upstream-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, ByteArrayOutputStream log) {
        try (s) {
            InputStream in = new BufferedInputStream(new Recording(s.getInputStream(), log));
            OutputStream out = s.getOutputStream();
            while (true) {
                String request = readRequest(in);
                if (request == null) {
                    return;
                }
                received.add(request);
                if (!responder.respond(request, out)) {
                    return;
                }
            }
        } catch (IOException e) {
            // the proxy closed or reset: done with this connection
        }
    }

    private static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        String head = readHead(in, raw);
        if (head == null) {
            return null;
        }
        String lower = head.toLowerCase(Locale.ROOT);
        if (lower.contains("\ntransfer-encoding: chunked") || lower.contains("\ntransfer-encoding:chunked")) {
            while (true) {
                String sizeLine = readLine(in, raw);
                int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
                if (size == 0) {
                    String line;
                    while ((line = readLine(in, raw)) != null && !line.isEmpty()) {
                        // trailer fields, recorded in raw
                    }
                    break;
                }
                raw.write(in.readNBytes(size));
                readLine(in, raw);
            }
        } else {
            int at = lower.indexOf("\ncontent-length:");
            if (at >= 0) {
                int end = lower.indexOf('\r', at + 1);
                int length = Integer.parseInt(lower.substring(at + 16, end).trim());
                raw.write(in.readNBytes(length));
            }
        }
        return raw.toString(StandardCharsets.ISO_8859_1);
    }

    private static String readHead(InputStream in, ByteArrayOutputStream raw) throws IOException {
        int start = raw.size();
        int state = 0;
        int b;
        while ((b = in.read()) != -1) {
            raw.write(b);
            if (b == '\n' && state == 3) {
                return raw.toString(StandardCharsets.ISO_8859_1).substring(start);
            }
            state = b == '\r' ? (state == 2 ? 3 : 1) : b == '\n' && state == 1 ? 2 : 0;
        }
        return null;
    }

    private static String readLine(InputStream in, ByteArrayOutputStream raw) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            raw.write(b);
            if (b == '\n') {
                break;
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    /** Copies every byte read into {@code log}. */
    private static final class Recording extends java.io.FilterInputStream {
        private final ByteArrayOutputStream log;

        Recording(InputStream in, ByteArrayOutputStream log) {
            super(in);
            this.log = log;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                synchronized (log) {
                    log.write(b);
                }
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = in.read(buf, off, len);
            if (n > 0) {
                synchronized (log) {
                    log.write(buf, off, n);
                }
            }
            return n;
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}

package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Large bodies stream through the proxy whole, in bounded memory, and a slow reader slows the upstream. */
class FlowStreamingTest {
    private static final long SIZE = 1024L * 1024 * 1024; // 1 GiB: the issue's own figure
    private static final long MEMORY_LIMIT = 64L * 1024 * 1024;
    private static final byte[] BLOCK = new byte[64 * 1024];

    static {
        new Random(42).nextBytes(BLOCK);
    }

    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - upstream: app
            upstreams:
              app:
                endpoints:
                  - { address: "${UP1}" }
            """;

    private ScheduledExecutorService sampler;
    private final AtomicLong maxDirect = new AtomicLong();

    @BeforeEach
    void startSampler() {
        sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> maxDirect.accumulateAndGet(directUsed(), Math::max), 0, 20,
                TimeUnit.MILLISECONDS);
    }

    @AfterEach
    void stopSampler() {
        sampler.shutdownNow();
    }

    private static long directUsed() {
        long used = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
        if (ByteBufAllocator.DEFAULT != PooledByteBufAllocator.DEFAULT
                && ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p) {
            used += p.metric().usedDirectMemory(); // Netty 4.2's default may be the adaptive allocator
        }
        return used;
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long expectedCrc(long size) {
        CRC32 crc = new CRC32();
        for (long done = 0; done < size; done += BLOCK.length) {
            crc.update(BLOCK, 0, (int) Math.min(BLOCK.length, size - done));
        }
        return crc.getValue();
    }

    /** {@code size} bytes of BLOCK repeated, generated as read; calls {@code midway} once after half. */
    private static InputStream generated(long size, Runnable midway) {
        return new InputStream() {
            long pos;
            boolean calledMidway;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= size) {
                    return -1;
                }
                if (!calledMidway && pos >= size / 2) {
                    calledMidway = true;
                    midway.run();
                }
                int at = (int) (pos % BLOCK.length);
                int n = (int) Math.min(Math.min(len, BLOCK.length - at), size - pos);
                System.arraycopy(BLOCK, at, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    @Test
    void uploadOf1GiBArrivesWholeInBoundedMemory() throws Exception {
        AtomicLong received = new AtomicLong();
        try (TestUpstream up = TestUpstream.start("counter", exchange -> {
            CRC32 crc = new CRC32();
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = exchange.getRequestBody()) {
                int n;
                while ((n = in.read(buf)) != -1) {
                    crc.update(buf, 0, n);
                    received.addAndGet(n);
                }
            }
            byte[] answer = (received.get() + " " + crc.getValue()).getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up))) {
            long heapBefore = heapAfterGc();
            AtomicLong heapMidway = new AtomicLong(-1);
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = HttpRequest.newBuilder(sluice.uri("main", "/upload"))
                    .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                            () -> generated(SIZE, () -> heapMidway.set(heapAfterGc()))), SIZE))
                    .build();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).as(response.body() + " upstream got " + received.get()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(SIZE + " " + expectedCrc(SIZE));
            assertThat(maxDirect.get()).as("Netty direct memory in use during the upload").isPositive().isLessThan(MEMORY_LIMIT);
            assertThat(heapMidway.get()).isPositive();
            assertThat(heapMidway.get() - heapBefore).as("heap growth midway").isLessThan(MEMORY_LIMIT);
        }
    }

    @Test
    void chunkedUploadOf1GiBArrivesWhole() throws Exception {
        try (TestUpstream up = TestUpstream.start("counter", exchange -> {
            CRC32 crc = new CRC32();
            long count = 0;
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = exchange.getRequestBody()) {
                int n;
                while ((n = in.read(buf)) != -1) {
                    crc.update(buf, 0, n);
                    count += n;
                }
            }
            String te = String.valueOf(exchange.getRequestHeaders().getFirst("Transfer-Encoding"));
            byte[] answer = (count + " " + crc.getValue() + " " + te).getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up))) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = HttpRequest.newBuilder(sluice.uri("main", "/upload"))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> generated(SIZE, () -> { })))
                    .build();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(SIZE + " " + expectedCrc(SIZE) + " chunked");
            assertThat(maxDirect.get()).isLessThan(MEMORY_LIMIT);
        }
    }

    @Test
    void expectContinueUploadIsAnsweredThenStreamed() throws Exception {
        long size = 64L * 1024 * 1024;
        try (RawServer up = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            String head = RawServer.readHead(in);
            long got = RawServer.skip(in, RawServer.contentLength(head));
            String body = Long.toString(got);
            socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            in.read();
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, java.util.Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("PUT /big HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: " + size + "\r\n\r\n");
            RawHttp.Response interim = client.read();
            assertThat(interim.status()).isEqualTo(100);
            OutputStream out = client.socket().getOutputStream();
            for (long done = 0; done < size; done += BLOCK.length) {
                out.write(BLOCK);
            }
            out.flush();
            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo(Long.toString(size));
        }
    }

    @Test
    void downloadOf1GiBArrivesWholeInBoundedMemory() throws Exception {
        try (TestUpstream up = TestUpstream.start("source", exchange -> {
            exchange.sendResponseHeaders(200, SIZE);
            try (OutputStream out = exchange.getResponseBody()) {
                for (long done = 0; done < SIZE; done += BLOCK.length) {
                    out.write(BLOCK);
                }
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up))) {
            long heapBefore = heapAfterGc();
            long heapMidway = -1;
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(sluice.uri("main", "/dl")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            CRC32 crc = new CRC32();
            long total = 0;
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = response.body()) {
                int n;
                while ((n = in.read(buf)) != -1) {
                    crc.update(buf, 0, n);
                    if (total < SIZE / 2 && total + n >= SIZE / 2) {
                        heapMidway = heapAfterGc();
                    }
                    total += n;
                }
            }
            assertThat(total).isEqualTo(SIZE);
            assertThat(crc.getValue()).isEqualTo(expectedCrc(SIZE));
            assertThat(maxDirect.get()).as("Netty direct memory in use during the download").isPositive().isLessThan(MEMORY_LIMIT);
            assertThat(heapMidway - heapBefore).as("heap growth midway").isLessThan(MEMORY_LIMIT);
        }
    }

    @Test
    void slowReaderStallsTheUpstreamThenGetsEverything() throws Exception {
        long size = 128L * 1024 * 1024;
        AtomicLong written = new AtomicLong();
        try (TestUpstream up = TestUpstream.start("source", exchange -> {
            exchange.sendResponseHeaders(200, size);
            try (OutputStream out = exchange.getResponseBody()) {
                for (long done = 0; done < size; done += BLOCK.length) {
                    out.write(BLOCK);
                    written.addAndGet(BLOCK.length);
                }
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            InputStream in = client.socket().getInputStream();
            String head = RawServer.readHead(in);
            assertThat(head).startsWith("HTTP/1.1 200");
            assertThat(RawServer.contentLength(head)).isEqualTo(size);
            CRC32 crc = new CRC32();
            byte[] buf = new byte[64 * 1024];
            long got = readInto(in, crc, buf, 1024 * 1024);
            assertThat(got).isEqualTo(1024 * 1024);

            // Not reading: the upstream's writes must stall (its counter stops growing) well short of the body.
            long[] last = {-1};
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).during(Duration.ofMillis(1500))
                    .until(() -> {
                        long now = written.get();
                        boolean same = now == last[0];
                        last[0] = now;
                        return same;
                    });
            assertThat(written.get()).as("bytes the upstream wrote while the client did not read")
                    .isLessThan(MEMORY_LIMIT);
            assertThat(maxDirect.get()).isLessThan(MEMORY_LIMIT);

            got += readInto(in, crc, buf, size - got);
            assertThat(got).isEqualTo(size);
            assertThat(crc.getValue()).isEqualTo(expectedCrc(size));
            assertThat(written.get()).isEqualTo(size);
        }
    }

    @Test
    void slowUpstreamReaderStallsTheUploadingClient() throws Exception {
        long size = 128L * 1024 * 1024;
        java.util.concurrent.CountDownLatch resume = new java.util.concurrent.CountDownLatch(1);
        AtomicLong clientWrote = new AtomicLong();
        try (RawServer up = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            long length = RawServer.contentLength(RawServer.readHead(in));
            long got = RawServer.skip(in, 1024 * 1024);
            resume.await(30, TimeUnit.SECONDS); // stop reading for a while
            got += RawServer.skip(in, length - got);
            socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + Long.toString(got).length()
                    + "\r\n\r\n" + got).getBytes(StandardCharsets.US_ASCII));
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, java.util.Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            java.util.concurrent.CompletableFuture<Void> writer = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = client.socket().getOutputStream();
                    out.write(("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: " + size + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    for (long done = 0; done < size; done += BLOCK.length) {
                        out.write(BLOCK);
                        clientWrote.addAndGet(BLOCK.length);
                    }
                    out.flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            long[] last = {-1};
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).during(Duration.ofMillis(1500))
                    .until(() -> {
                        long now = clientWrote.get();
                        boolean same = now == last[0];
                        last[0] = now;
                        return same;
                    });
            assertThat(clientWrote.get()).as("bytes the client could write while the upstream did not read")
                    .isLessThan(MEMORY_LIMIT);
            assertThat(maxDirect.get()).isLessThan(MEMORY_LIMIT);

            resume.countDown();
            writer.get(60, TimeUnit.SECONDS);
            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo(Long.toString(size));
        }
    }

    private static long readInto(InputStream in, CRC32 crc, byte[] buf, long n) throws IOException {
        long got = 0;
        while (got < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - got));
            if (r == -1) {
                break;
            }
            crc.update(buf, 0, r);
            got += r;
        }
        return got;
    }
}

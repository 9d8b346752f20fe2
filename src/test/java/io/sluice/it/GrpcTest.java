package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * gRPC through Sluice with grpc-java on both sides: client → (h2c) Sluice → (h2c, protocol: h2c) server.
 * Methods are described by hand with a byte[] marshaller, so no protoc is needed.
 */
class GrpcTest {
    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    };
    static final MethodDescriptor<byte[], byte[]> UNARY = method("Unary", MethodDescriptor.MethodType.UNARY);
    static final MethodDescriptor<byte[], byte[]> CHAT = method("Chat", MethodDescriptor.MethodType.BIDI_STREAMING);

    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    final AtomicReference<String> seenAuthority = new AtomicReference<>();
    final AtomicReference<Long> seenDeadlineMillis = new AtomicReference<>();
    final java.util.concurrent.atomic.AtomicInteger upstreamConnections = new java.util.concurrent.atomic.AtomicInteger();
    Server server;
    SluiceUnderTest sluice;
    ManagedChannel channel;

    static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<byte[], byte[]>newBuilder().setType(type).setFullMethodName("test.Echo/" + name)
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @BeforeEach
    void start() throws Exception {
        ServerServiceDefinition echo = ServerServiceDefinition.builder("test.Echo")
                .addMethod(UNARY, ServerCalls.asyncUnaryCall((req, out) -> {
                    String s = text(req);
                    if (Context.current().getDeadline() != null && s.equals("slow")) {
                        seenDeadlineMillis.set(Context.current().getDeadline().timeRemaining(TimeUnit.MILLISECONDS));
                    }
                    switch (s) {
                        case "fail" -> out.onError(Status.INVALID_ARGUMENT.withDescription("bad: fail").asRuntimeException());
                        case "slow" -> timer.schedule(() -> {
                            out.onNext(bytes("late"));
                            out.onCompleted();
                        }, 3, TimeUnit.SECONDS);
                        default -> {
                            out.onNext(bytes("echo:" + s));
                            out.onCompleted();
                        }
                    }
                }))
                .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(out -> new StreamObserver<byte[]>() {
                    @Override
                    public void onNext(byte[] value) {
                        out.onNext(bytes("echo:" + text(value)));
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                        out.onCompleted();
                    }
                }))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(echo)
                .intercept(new io.grpc.ServerInterceptor() {
                    @Override
                    public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call,
                            io.grpc.Metadata headers, io.grpc.ServerCallHandler<Q, R> next) {
                        seenAuthority.set(call.getAuthority());
                        return next.startCall(call, headers);
                    }
                })
                .addTransportFilter(new io.grpc.ServerTransportFilter() {
                    @Override
                    public io.grpc.Attributes transportReady(io.grpc.Attributes attributes) {
                        upstreamConnections.incrementAndGet();
                        return attributes;
                    }
                })
                .build().start();
        sluice = SluiceUnderTest.start("""
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - { upstream: grpc }
                upstreams:
                  grpc:
                    protocol: h2c
                    endpoints:
                      - { address: "127.0.0.1:${PORT}" }
                """, Map.of("PORT", String.valueOf(server.getPort())));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", sluice.port("main")).usePlaintext().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        sluice.close();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        timer.shutdownNow();
    }

    @Test
    void unaryCallsAndTheirStatus() {
        for (int i = 0; i < 5; i++) {
            byte[] answer = ClientCalls.blockingUnaryCall(channel, UNARY, CallOptions.DEFAULT, bytes("hi" + i));
            assertThat(text(answer)).isEqualTo("echo:hi" + i);
        }
        assertThat(seenAuthority.get()).isEqualTo("127.0.0.1:" + sluice.port("main"));
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, UNARY, CallOptions.DEFAULT, bytes("fail")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("bad: fail");
                });
    }

    @Test
    void concurrentCallsShareOneUpstreamConnection() throws Exception {
        java.util.List<com.google.common.util.concurrent.ListenableFuture<byte[]>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            calls.add(ClientCalls.futureUnaryCall(channel.newCall(UNARY, CallOptions.DEFAULT), bytes("m" + i)));
        }
        for (int i = 0; i < 50; i++) {
            assertThat(text(calls.get(i).get(60, TimeUnit.SECONDS))).isEqualTo("echo:m" + i);
        }
        // one client connection lives on one event loop, which keeps one h2 connection to the endpoint
        assertThat(upstreamConnections.get()).isEqualTo(1);
    }

    @Test
    void deadlinesReachTheServerAndEndTheCall() {
        // warm up (connections, JIT) so that the deadline measures the call, not the start-up
        assertThat(text(ClientCalls.blockingUnaryCall(channel, UNARY, CallOptions.DEFAULT, bytes("warm"))))
                .isEqualTo("echo:warm");
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, UNARY,
                CallOptions.DEFAULT.withDeadlineAfter(1000, TimeUnit.MILLISECONDS), bytes("slow")))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        // grpc-timeout was forwarded: the server saw a deadline under the client's
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> seenDeadlineMillis.get() != null);
        assertThat(seenDeadlineMillis.get()).isLessThanOrEqualTo(1000L); // may be spent already on a loaded machine
        // the connection is still good
        assertThat(text(ClientCalls.blockingUnaryCall(channel, UNARY, CallOptions.DEFAULT, bytes("after"))))
                .isEqualTo("echo:after");
    }

    @Test
    void bidirectionalStreamingInterleaves() throws Exception {
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        ClientCall<byte[], byte[]> call = channel.newCall(CHAT, CallOptions.DEFAULT);
        StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(call, new StreamObserver<byte[]>() {
            @Override
            public void onNext(byte[] value) {
                received.add(text(value));
            }

            @Override
            public void onError(Throwable t) {
                failure.set(t);
                done.countDown();
            }

            @Override
            public void onCompleted() {
                done.countDown();
            }
        });
        for (String m : new String[] {"a", "b", "c"}) {
            requests.onNext(bytes(m));
            // each answer arrives while the request stream is still open
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo:" + m);
        }
        requests.onCompleted();
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(failure.get()).isNull();
    }
}

package io.sluice.accept;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramChannel;
import io.netty.handler.codec.http3.DefaultHttp3SettingsFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3FrameToHttpObjectCodec;
import io.netty.handler.codec.http3.Http3ServerConnectionHandler;
import io.netty.handler.codec.http3.Http3Settings;
import io.netty.handler.codec.http3.Http3SettingsFrame;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.util.DomainWildcardMappingBuilder;
import io.sluice.config.CertificateFiles;
import io.sluice.config.ClientTimeoutsConfig;
import io.sluice.config.TlsConfig;
import io.sluice.exchange.ClientAddress;
import io.sluice.tls.ServerTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/3 on an https listener ({@code http3: true}): a UDP socket on the listener's port with Netty's QUIC
 * codec, the listener's certificates (chosen by SNI, the first one for a client that sends no name) and its
 * routes. Each request stream goes the way an h2 stream does:
 * <pre>
 *   [Netty: QUIC, HTTP/3 control streams, QPACK, frame validation]
 *   h3check    (Http3RequestCheck)            malformed pseudo-header fields: H3_MESSAGE_ERROR; trailers cleaned
 *   codec      (Http3FrameToHttpObjectCodec)  HTTP/3 frames ⇄ HttpRequest, HttpContent
 *   h3head     (Http3RequestHead)             a request that ends with its head stays bodiless
 *   downstream (DownstreamHandler)            route → forward / respond / static, as for HTTP/1.1 and h2
 * </pre>
 * One UDP socket per listener, on one event loop: QUIC routes datagrams by connection ID, which several
 * sockets on one port (SO_REUSEPORT) would spread by address instead. Upstream connections of its requests
 * are that loop's. The QUIC and HTTP/3 classes and their native library load only when a listener has this on.
 */
public final class Http3Listener {
    private static final Logger log = LoggerFactory.getLogger(Http3Listener.class);

    /** Flow control: what a client may send before the proxy has read it (per stream, per connection). */
    private static final long STREAM_WINDOW = 256 * 1024;
    private static final long CONNECTION_WINDOW = 4 * 1024 * 1024;
    private static final long MAX_STREAMS = 100; // concurrent requests per connection, as h2's default here

    private final String name;
    private final ListenerContext listener;
    private final Channel socket;
    private volatile QuicSslContext tls;

    private Http3Listener(String name, ListenerContext listener, TlsConfig tlsConfig, EventLoop loop,
                          Class<? extends DatagramChannel> datagramChannelClass, InetSocketAddress address,
                          ClientTimeoutsConfig timeouts) throws InterruptedException {
        this.name = name;
        this.listener = listener;
        this.tls = contexts(name, tlsConfig);
        ChannelHandler codec = Http3.newQuicServerCodecBuilder()
                .sslEngineProvider(quic -> tls.newEngine(quic.alloc()))
                .maxIdleTimeout(timeouts.idle().toMillis(), TimeUnit.MILLISECONDS)
                .initialMaxData(CONNECTION_WINDOW)
                .initialMaxStreamDataBidirectionalRemote(STREAM_WINDOW)
                .initialMaxStreamDataBidirectionalLocal(STREAM_WINDOW)
                .initialMaxStreamsBidirectional(MAX_STREAMS)
                // no token handler: no Retry round trip for address validation (nginx's quic_retry off)
                .handler(new ChannelInitializer<QuicChannel>() {
                    @Override
                    protected void initChannel(QuicChannel connection) {
                        // the header section's bound is the listener's max_request_head, as on h2 (Netty's 8 KiB else)
                        Http3SettingsFrame settings = new DefaultHttp3SettingsFrame(Http3Settings.defaultSettings()
                                .maxFieldSectionSize(listener.maxRequestHead()));
                        connection.pipeline().addLast(new Http3ServerConnectionHandler(
                                new ChannelInitializer<QuicStreamChannel>() {
                                    @Override
                                    protected void initChannel(QuicStreamChannel stream) {
                                        initStream(stream);
                                    }
                                }, null, null, settings, true));
                    }
                })
                .build();
        this.socket = new Bootstrap().group(loop).channel(datagramChannelClass).handler(codec).bind(address).sync()
                .channel();
        listener.altSvc("h3=\":" + ((InetSocketAddress) socket.localAddress()).getPort() + "\"");
    }

    /**
     * Binds UDP at {@code address} (the port the listener's TCP socket got) and starts answering HTTP/3.
     *
     * @throws IllegalStateException when the certificates do not load or the port cannot be bound
     */
    public static Http3Listener start(String name, ListenerContext listener, TlsConfig tls, EventLoop loop,
                                      Class<? extends DatagramChannel> datagramChannelClass, InetSocketAddress address,
                                      ClientTimeoutsConfig timeouts) throws InterruptedException {
        try {
            Http3Listener started = new Http3Listener(name, listener, tls, loop, datagramChannelClass, address,
                    timeouts);
            log.info("listener '{}': HTTP/3 on udp {}", name, started.socket.localAddress());
            return started;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("listener '" + name + "': cannot serve HTTP/3 on udp " + address + ": "
                    + e.getMessage(), e);
        }
    }

    /** New certificates (a reload, or the files changed): new connections get them, open ones keep theirs. */
    public void certificates(TlsConfig config) {
        try {
            tls = contexts(name, config);
        } catch (RuntimeException e) {
            log.warn("listener '{}': HTTP/3 keeps its previous certificates: {}", name, e.getMessage());
        }
    }

    /** The UDP port HTTP/3 answers on. */
    public int port() {
        return ((InetSocketAddress) socket.localAddress()).getPort();
    }

    /** Stops HTTP/3: the socket closes, and with it every QUIC connection; responses stop advertising it. */
    public void close() {
        listener.altSvc(null);
        socket.close();
    }

    private void initStream(QuicStreamChannel stream) {
        stream.config().setAutoRead(false); // DownstreamHandler reads when it wants the next part
        QuicChannel connection = stream.parent();
        // the client's address for X-Forwarded-For, logs, source_ip hashing (the QUIC channel's own address is a
        // connection ID, not a socket address)
        ClientAddress.set(stream, (InetSocketAddress) connection.remoteSocketAddress(),
                (InetSocketAddress) connection.localSocketAddress());
        stream.pipeline()
                .addLast("h3check", new Http3RequestCheck())
                .addLast("codec", new Http3FrameToHttpObjectCodec(true, true)) // a static file adds "chunked" after it
                .addLast("h3head", new Http3RequestHead())
                .addLast("downstream", new DownstreamHandler(listener, null, io.sluice.exchange.Exchange.HTTP_3));
    }

    /** One QUIC TLS context per certificate, by SNI; the first one for a client that sends no name. */
    private static QuicSslContext contexts(String name, TlsConfig config) {
        QuicSslContext first = null;
        DomainWildcardMappingBuilder<QuicSslContext> byName = null;
        for (TlsConfig.Certificate cert : config.certificates()) {
            QuicSslContext ctx = context(name, config, cert);
            if (first == null) {
                first = ctx;
                byName = new DomainWildcardMappingBuilder<>(ctx);
            }
            try {
                for (String dns : ServerTls.names(CertificateFiles.chain(cert.cert()).get(0))) {
                    byName.add(dns, ctx);
                }
            } catch (IOException | java.security.cert.CertificateParsingException e) {
                throw new IllegalStateException("listener '" + name + "': certificate " + cert.cert() + ": "
                        + e.getMessage(), e);
            }
        }
        if (first == null) {
            throw new IllegalStateException("listener '" + name + "': HTTP/3 needs tls.certificates");
        }
        if (config.certificates().size() == 1) {
            return first;
        }
        io.netty.util.Mapping<String, QuicSslContext> mapping = byName.build();
        QuicSslContext fallback = first;
        return withSni(name, config, config.certificates().get(0), host -> host == null ? fallback : mapping.map(host));
    }

    private static QuicSslContext context(String name, TlsConfig config, TlsConfig.Certificate cert) {
        return withSni(name, config, cert, null);
    }

    private static QuicSslContext withSni(String name, TlsConfig config, TlsConfig.Certificate cert,
                                          io.netty.util.Mapping<String, QuicSslContext> sni) {
        try {
            List<X509Certificate> chain = CertificateFiles.chain(cert.cert());
            QuicSslContextBuilder b = QuicSslContextBuilder.forServer(CertificateFiles.key(cert.key()), null,
                    chain.toArray(new X509Certificate[0]))
                    .applicationProtocols(Http3.supportedApplicationProtocols());
            if (config.clientCa() != null && config.clientAuth() != TlsConfig.ClientAuth.NONE) {
                b.trustManager(config.clientCa().toFile())
                        .clientAuth(config.clientAuth() == TlsConfig.ClientAuth.REQUIRE ? ClientAuth.REQUIRE
                                : ClientAuth.OPTIONAL);
            }
            if (sni != null) {
                b.sni(sni);
            }
            return b.build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("listener '" + name + "': HTTP/3 cannot use certificate " + cert.cert()
                    + " with key " + cert.key() + ": " + e.getMessage(), e);
        }
    }
}

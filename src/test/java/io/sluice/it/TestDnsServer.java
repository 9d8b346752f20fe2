package io.sluice.it;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP, port 0) for tests: answers A queries from a table the
 * test changes as it goes ({@link #set}), with the TTL given there; a known name has no AAAA records, an
 * unknown name is NXDOMAIN. Counts the A queries per name. {@link #silent()} makes it swallow every query.
 */
final class TestDnsServer implements AutoCloseable {
    private record Answer(InetAddress address, int ttlSeconds) {
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Map<String, Answer> table = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> queries = new ConcurrentHashMap<>();
    private final AtomicInteger allQueries = new AtomicInteger();
    private final Channel channel;
    private volatile boolean silent;

    TestDnsServer() throws InterruptedException {
        channel = new Bootstrap()
                .group(group)
                .channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new Responder());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** A server that reads every query and answers none (a name server that is down or unreachable). */
    static TestDnsServer silent() throws InterruptedException {
        TestDnsServer s = new TestDnsServer();
        s.silent = true;
        return s;
    }

    /** From now on {@code name} has the one A record {@code ip}, with {@code ttlSeconds}. */
    void set(String name, String ip, int ttlSeconds) throws Exception {
        table.put(name.toLowerCase(Locale.ROOT), new Answer(InetAddress.getByName(ip), ttlSeconds));
    }

    /** How many A queries for {@code name} arrived. */
    int queries(String name) {
        AtomicInteger n = queries.get(name.toLowerCase(Locale.ROOT));
        return n == null ? 0 : n.get();
    }

    /** How many queries of any type for any name arrived. */
    int allQueries() {
        return allQueries.get();
    }

    /** For {@code server.resolver.nameservers}. */
    String address() {
        return "127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Responder extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            allQueries.incrementAndGet();
            DnsQuestion question = query.recordAt(DnsSection.QUESTION);
            if (silent || question == null) {
                return;
            }
            String name = question.name().toLowerCase(Locale.ROOT);
            if (name.endsWith(".")) {
                name = name.substring(0, name.length() - 1);
            }
            if (question.type() == DnsRecordType.A) {
                queries.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
            }
            Answer answer = table.get(name);
            DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
            response.setAuthoritativeAnswer(true).setRecursionAvailable(true);
            response.addRecord(DnsSection.QUESTION, question);
            if (answer == null) {
                response.setCode(DnsResponseCode.NXDOMAIN);
            } else if (question.type() == DnsRecordType.A) {
                response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), DnsRecordType.A,
                        answer.ttlSeconds(), Unpooled.wrappedBuffer(answer.address().getAddress())));
            } // other types of a known name: no records (NOERROR, empty answer)
            ctx.writeAndFlush(response);
        }
    }
}

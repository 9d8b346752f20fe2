package io.sluice.runtime;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The socket implementation: native epoll on Linux when its library loads, NIO otherwise.
 * {@code -Dsluice.transport=nio} forces NIO. The datagram channel class is what the DNS resolver
 * queries with.
 */
public record Transport(String name, IoHandlerFactory ioHandlerFactory,
                        Class<? extends ServerChannel> serverChannelClass,
                        Class<? extends SocketChannel> socketChannelClass,
                        Class<? extends DatagramChannel> datagramChannelClass) {

    /**
     * Client connections: Netty's default sizes (64 B to 64 KiB, 2 KiB first), in one instance for all of
     * them; left to itself Netty makes one per connection (32 bytes each, held as long as the connection).
     * Upstream connections size their reads by {@link io.sluice.upstream.UpstreamReadSizes}.
     */
    public static final RecvByteBufAllocator CLIENT_RECEIVE_BUFFERS = new AdaptiveRecvByteBufAllocator();

    public static Transport detect() {
        boolean forceNio = "nio".equalsIgnoreCase(System.getProperty("sluice.transport"));
        if (!forceNio && Epoll.isAvailable()) {
            return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                    EpollSocketChannel.class, EpollDatagramChannel.class);
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class,
                NioDatagramChannel.class);
    }

    /** Whether listening sockets can be shared by event loops with SO_REUSEPORT (the native transport only). */
    public boolean reusePort() {
        return serverChannelClass == EpollServerSocketChannel.class;
    }

    /** {@code threads == 0}: one per core. */
    public EventLoopGroup newGroup(int threads, String threadName) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(threadName, true), ioHandlerFactory);
    }
}

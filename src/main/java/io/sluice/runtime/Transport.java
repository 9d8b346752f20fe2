package io.sluice.runtime;

import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
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
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Optional;

/**
 * The socket implementation, {@code server.transport}: {@code auto} (the default) takes io_uring where the
 * kernel allows it, else native epoll, else NIO; {@code io_uring}, {@code epoll} and {@code nio} insist on
 * one (a start fails when it cannot load). io_uring comes first because it measured cheaper per request on
 * the reference harness (docs/benchmarks.md, "io_uring"): the proxy's reads and writes are queued to the
 * kernel and submitted together at the end of each loop turn instead of one system call each.
 * {@code -Dsluice.transport=NAME} stands in for {@code auto} (to run the tests on one transport).
 * The datagram channel class is what the DNS resolver queries with.
 */
public record Transport(String name, IoHandlerFactory ioHandlerFactory,
                        Class<? extends ServerChannel> serverChannelClass,
                        Class<? extends SocketChannel> socketChannelClass,
                        Class<? extends DatagramChannel> datagramChannelClass,
                        ChannelOption<Boolean> reusePortOption) {

    /** What {@code auto} takes on this machine. */
    public static Transport detect() {
        return choose("auto");
    }

    /**
     * The transport {@code server.transport} names.
     *
     * @throws IllegalStateException when the one named explicitly cannot be used here, with the reason
     */
    public static Transport choose(String setting) {
        String wanted = setting.equals("auto") ? System.getProperty("sluice.transport", "auto") : setting;
        switch (wanted) {
            case "io_uring" -> {
                return ioUring().orElseThrow(() -> unavailable("io_uring", IoUring.unavailabilityCause()));
            }
            case "epoll" -> {
                return epoll().orElseThrow(() -> unavailable("epoll", Epoll.unavailabilityCause()));
            }
            case "nio" -> {
                return nio();
            }
            default -> {
                return ioUring().or(Transport::epoll).orElseGet(Transport::nio);
            }
        }
    }

    private static Optional<Transport> ioUring() {
        return IoUring.isAvailable()
                ? Optional.of(new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                        IoUringSocketChannel.class, IoUringDatagramChannel.class, IoUringChannelOption.SO_REUSEPORT))
                : Optional.empty();
    }

    private static Optional<Transport> epoll() {
        return Epoll.isAvailable()
                ? Optional.of(new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                        EpollSocketChannel.class, EpollDatagramChannel.class, EpollChannelOption.SO_REUSEPORT))
                : Optional.empty();
    }

    private static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class,
                NioDatagramChannel.class, null);
    }

    private static IllegalStateException unavailable(String name, Throwable cause) {
        return new IllegalStateException("server.transport: " + name + " cannot be used on this machine ("
                + (cause == null ? "unknown reason" : cause.getMessage())
                + "); set transport: auto to take the best one that works", cause);
    }

    /** Whether listening sockets can be shared by event loops with SO_REUSEPORT (the native transports only). */
    public boolean reusePort() {
        return reusePortOption != null;
    }

    /** {@code threads == 0}: one per core. */
    public EventLoopGroup newGroup(int threads, String threadName) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(threadName, true), ioHandlerFactory);
    }
}

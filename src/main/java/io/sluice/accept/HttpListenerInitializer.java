package io.sluice.accept;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline of an http listener's connections, in data-path order:
 * <pre>
 *   meter    (ConnectionMeter)        counts the connection and its bytes
 *   decoder  (StrictRequestDecoder)   bytes → request head, body parts
 *   encoder  (ServerResponseEncoder)  response head, body parts → bytes
 *   idle     (IdleStateHandler)       closes connections that send nothing for a while
 *   downstream (DownstreamHandler)    route → forward / respond / static
 * </pre>
 */
public final class HttpListenerInitializer extends ChannelInitializer<Channel> {
    /** Like nginx's keepalive_timeout and client_body_timeout: a client that sends nothing this long is closed. */
    static final long CLIENT_IDLE_SECONDS = 60;

    private final ListenerContext listener;
    private final ChannelGroup connections;

    public HttpListenerInitializer(ListenerContext listener, ChannelGroup connections) {
        this.listener = listener;
        this.connections = connections;
    }

    @Override
    protected void initChannel(Channel ch) {
        connections.add(ch);
        ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);
        ch.pipeline()
                .addLast("meter", new ConnectionMeter(listener.observer().connections()))
                .addLast("decoder", new StrictRequestDecoder(listener.maxRequestHead(), methods))
                .addLast("encoder", new ServerResponseEncoder(methods))
                .addLast("idle", new IdleStateHandler(CLIENT_IDLE_SECONDS, 0, 0, TimeUnit.SECONDS))
                .addLast("downstream", new DownstreamHandler(listener));
    }
}

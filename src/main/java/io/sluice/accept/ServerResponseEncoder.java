package io.sluice.accept;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import java.util.ArrayDeque;

/**
 * Netty's response encoder, told each request's method by {@link StrictRequestDecoder} so that a response
 * to HEAD (and a 101) is written without a body whatever its headers say. Interim 1xx responses do not
 * use up a request.
 */
final class ServerResponseEncoder extends HttpResponseEncoder {
    private final ArrayDeque<HttpMethod> methods;

    ServerResponseEncoder(ArrayDeque<HttpMethod> methods) {
        this.methods = methods;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpResponse msg) {
        int code = msg.status().code();
        if (code >= 100 && code < 200 && code != 101) {
            return true;
        }
        HttpMethod method = methods.poll();
        return method == HttpMethod.HEAD || code == 101 || super.isContentAlwaysEmpty(msg);
    }
}

package io.sluice.config;

import io.sluice.filter.auth.UsersFile;
import java.util.List;

/**
 * A listener's {@code forward_proxy:} block: the destinations clients may reach through it. Each rule is
 * a host name (exact or {@code *.} wildcard), an IP address or a CIDR block, with an optional port (none:
 * every port). See {@code io.sluice.forward.AccessRules} for how they are applied. {@code auth} (null when
 * absent): clients must bring {@code Proxy-Authorization: Basic} credentials of {@code users}.
 */
public record ForwardProxyConfig(List<Rule> allow, List<Rule> deny, Auth auth) {
    public ForwardProxyConfig(List<Rule> allow, List<Rule> deny) {
        this(allow, deny, null);
    }

    public ForwardProxyConfig {
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
    }

    /**
     * One rule: {@code name} (lower case, maybe {@code *.suffix}) or {@code block}, exactly one non-null;
     * {@code port} 0 for every port. {@code text} as written, for messages.
     */
    public record Rule(String name, Cidr block, int port, String text) {
    }

    /** {@code auth: { users_file, realm }}: the users file as read when the configuration was loaded. */
    public record Auth(UsersFile users, String realm) {
    }
}

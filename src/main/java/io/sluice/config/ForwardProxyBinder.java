package io.sluice.config;

import io.sluice.filter.auth.BasicAuthGate;
import io.sluice.filter.auth.UsersFile;
import io.sluice.filter.builtin.BasicAuth;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.Node;

/** Binds a listener's {@code forward_proxy:} block, reporting each bad rule where it is written. */
final class ForwardProxyBinder {
    static final String RULE_EXPECTED = "expected a host name (www.example.com, *.example.com), an IP address or"
            + " a CIDR block (10.0.0.0/8, [fd00::]/8), each with an optional :port";
    private static final Pattern NAME = Pattern.compile(
            "(\\*\\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");

    private ForwardProxyBinder() {
    }

    static ForwardProxyConfig bind(YamlReader r, Node node) {
        Fields f = r.fields(node, "forward_proxy", "in forward_proxy", ConfigLoader.FORWARD_PROXY_KEYS);
        if (f == null) {
            return new ForwardProxyConfig(List.of(), List.of());
        }
        List<ForwardProxyConfig.Rule> allow = rules(r, f, "allow");
        List<ForwardProxyConfig.Rule> deny = rules(r, f, "deny");
        if (!f.has("allow")) {
            r.error(f.at(), "missing key 'allow' in forward_proxy (the destinations clients may reach; nothing is"
                    + " allowed by default)");
        }
        ForwardProxyConfig.Auth auth = f.has("auth") ? auth(r, f.node("auth")) : null;
        return new ForwardProxyConfig(allow, deny, auth);
    }

    /** {@code auth: { users_file, realm }}: the file is read now, so a bad one is an error at its key. */
    private static ForwardProxyConfig.Auth auth(YamlReader r, Node node) {
        Fields f = r.fields(node, "auth", "in forward_proxy.auth", ConfigLoader.FORWARD_PROXY_AUTH_KEYS);
        if (f == null) {
            return null;
        }
        String realm = f.string("realm", BasicAuth.DEFAULT_REALM);
        if (!BasicAuthGate.validRealm(realm)) {
            r.error(f.node("realm"), BasicAuthGate.BAD_REALM);
        }
        if (!f.has("users_file")) {
            r.error(f.at(), "missing key 'users_file' in forward_proxy.auth (an htpasswd file of bcrypt hashes)");
            return null;
        }
        String file = f.string("users_file", "");
        List<String> problems = new ArrayList<>();
        UsersFile users = UsersFile.fromSetting(file, r::resolve, problems);
        for (String p : problems) {
            r.error(f.node("users_file"), p);
        }
        return users == null ? null : new ForwardProxyConfig.Auth(users, realm);
    }

    private static List<ForwardProxyConfig.Rule> rules(YamlReader r, Fields f, String key) {
        List<ForwardProxyConfig.Rule> out = new ArrayList<>();
        if (!f.has(key)) {
            return out;
        }
        List<Node> items = r.list(f.node(key), key);
        for (int i = 0; items != null && i < items.size(); i++) {
            ForwardProxyConfig.Rule rule = r.value(items.get(i), key, ForwardProxyBinder::rule);
            if (rule != null) {
                out.add(rule);
            }
        }
        return out;
    }

    /** {@code HOST}, {@code HOST:PORT}, {@code CIDR}, {@code CIDR:PORT}; IPv6 in brackets when a port follows. */
    static ForwardProxyConfig.Rule rule(String text) {
        String s = text.strip();
        String target = s;
        int port = 0;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw bad(text, "a '[' without its ']'");
            }
            String after = s.substring(close + 1);
            target = s.substring(1, close);
            if (after.startsWith("/")) { // [fd00::]/8 or [fd00::]/8:443
                int colon = after.indexOf(':');
                target += colon < 0 ? after : after.substring(0, colon);
                after = colon < 0 ? "" : after.substring(colon);
            }
            if (!after.isEmpty()) {
                if (!after.startsWith(":")) {
                    throw bad(text, "unexpected '" + after + "'");
                }
                port = port(text, after.substring(1));
            }
        } else if (s.indexOf(':') == s.lastIndexOf(':') && s.indexOf(':') >= 0) { // one colon: a port
            int colon = s.indexOf(':');
            target = s.substring(0, colon);
            port = port(text, s.substring(colon + 1));
        } // several colons: an IPv6 address or block, no port
        if (target.isEmpty()) {
            throw bad(text, "no host");
        }
        if (Character.isDigit(target.charAt(0)) || target.indexOf(':') >= 0 || target.indexOf('/') >= 0) {
            if (target.indexOf('/') >= 0 || Cidr.literal(target) != null) {
                return new ForwardProxyConfig.Rule(null, Cidr.parse(target), port, s);
            }
            if (target.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))) {
                throw bad(text, "'" + target + "' is not an IPv4 address in dotted decimal (a.b.c.d)");
            }
        }
        String name = target.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.length() > 253 || !NAME.matcher(name).matches()) {
            throw bad(text, null);
        }
        return new ForwardProxyConfig.Rule(name, null, port, s);
    }

    private static int port(String text, String p) {
        if (p.isEmpty() || p.length() > 5 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(p) < 1 || Integer.parseInt(p) > 65535) {
            throw new IllegalArgumentException("bad port in '" + text + "' (expected 1 to 65535)");
        }
        return Integer.parseInt(p);
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("bad forward_proxy rule '" + text + "' (" + (why == null ? "" : why + "; ")
                + RULE_EXPECTED + ")");
    }
}

package io.sluice.config;

/**
 * One problem in a configuration file, printed as {@code FILE:LINE:COL: message} (1-based). Control
 * characters in the message (a value echoed from the file) are escaped as {@code \n}, {@code \t},
 * {@code \xNN}, so each error stays one line and a value cannot forge another {@code FILE:LINE:COL} line.
 */
public record ConfigError(String file, int line, int column, String message) {
    public ConfigError {
        message = printable(message);
    }

    @Override
    public String toString() {
        return printable(file) + ":" + line + ":" + column + ": " + message;
    }

    /** {@code s} with C0 and C1 controls, DEL and the Unicode line separators escaped. */
    static String printable(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
            if (control && b == null) {
                b = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (!control) {
                if (b != null) {
                    b.append(c);
                }
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c > 0xff) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(String.format("\\x%02x", (int) c));
            }
        }
        return b == null ? s : b.toString();
    }
}

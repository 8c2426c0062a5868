// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.coverage;

import java.util.List;

/**
 * Source path rewrites ({@code --coverage-path-map FROM=TO}): a path that starts with FROM gets TO instead; the
 * first rule that matches wins, and a path no rule matches stays as DWARF names it.
 */
public record PathMap(List<Rule> rules) {
    public static final PathMap NONE = new PathMap(List.of());

    /** One rewrite: the prefix {@code from} becomes {@code to}. */
    public record Rule(String from, String to) {
        /** {@code FROM=TO}; IllegalArgumentException without an '=' or with an empty FROM. */
        public static Rule parse(String text) {
            int eq = text.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--coverage-path-map " + text + ": expected FROM=TO");
            }
            return new Rule(text.substring(0, eq), text.substring(eq + 1));
        }
    }

    public PathMap {
        rules = List.copyOf(rules);
    }

    public String apply(String path) {
        for (Rule r : rules) {
            if (path.startsWith(r.from())) {
                return r.to() + path.substring(r.from().length());
            }
        }
        return path;
    }
}

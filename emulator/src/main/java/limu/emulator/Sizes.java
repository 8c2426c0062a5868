// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses memory sizes: {@code 256M}, {@code 1G}, {@code 512K}, {@code 268435456}, {@code 4GiB}. */
public final class Sizes {
    private static final Pattern FORM = Pattern.compile("(\\d{1,19})\\s*([KMGT]?)(i?B)?", Pattern.CASE_INSENSITIVE);

    private Sizes() {
    }

    public static long parse(String text) {
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (examples: 256M, 1G, 4096K)");
        }
        int shift = switch (m.group(2).toUpperCase()) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        if (n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        return n << shift;
    }
}

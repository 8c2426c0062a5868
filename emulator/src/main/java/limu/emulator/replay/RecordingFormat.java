// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.replay;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import limu.devices.Ps2Key;
import limu.emulator.HostEvent;

/** The text of a recording's lines: escaping of free text, hex of serial bytes, key lists (docs/record-replay.md). */
final class RecordingFormat {
    static final String MAGIC = "limu-recording";

    private RecordingFormat() {
    }

    /** Free text as one word: bytes outside '!'..'~' and '%' become %XX (UTF-8); empty text is "%". */
    static String escape(String text) {
        if (text.isEmpty()) {
            return "%";
        }
        StringBuilder b = new StringBuilder();
        for (byte c : text.getBytes(StandardCharsets.UTF_8)) {
            int v = c & 0xff;
            if (v > 0x20 && v < 0x7f && v != '%') {
                b.append((char) v);
            } else {
                b.append('%').append(String.format("%02X", v));
            }
        }
        return b.toString();
    }

    /** The text {@link #escape} made the word of; IllegalArgumentException for a malformed escape. */
    static String unescape(String word) {
        if (word.equals("%")) {
            return "";
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            if (c == '%') {
                if (i + 2 >= word.length()) {
                    throw new IllegalArgumentException("'%' without two hex digits in '" + word + "'");
                }
                try {
                    out.write(HexFormat.fromHexDigits(word, i + 1, i + 3));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("'%' without two hex digits in '" + word + "'");
                }
                i += 2;
            } else if (c > 0x20 && c < 0x7f) {
                out.write(c);
            } else {
                throw new IllegalArgumentException("unescaped character in '" + word + "'");
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** An input line: {@code in ITERATION NANOS SERIAL-HEX|- KEYS|-}. */
    static String inputLine(HostEvent e) {
        String serial = e.serial().length == 0 ? "-" : HexFormat.of().formatHex(e.serial());
        List<String> keys = new ArrayList<>();
        for (HostEvent.Key k : e.keys()) {
            keys.add(k.key().name() + (k.down() ? "+" : "-"));
        }
        return "in " + e.iteration() + " " + e.nanos() + " " + serial + " "
                + (keys.isEmpty() ? "-" : String.join(",", keys));
    }

    /** The event of an input line's words after "in"; IllegalArgumentException when malformed. */
    static HostEvent parseInput(String[] w) {
        if (w.length != 5) {
            throw new IllegalArgumentException("an input line has 5 fields, this one " + w.length);
        }
        long iteration = parseLong(w[1], "loop turn");
        long nanos = parseLong(w[2], "virtual time");
        byte[] serial;
        try {
            serial = w[3].equals("-") ? new byte[0] : HexFormat.of().parseHex(w[3]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("serial bytes '" + w[3] + "' are not hex");
        }
        List<HostEvent.Key> keys = new ArrayList<>();
        if (!w[4].equals("-")) {
            for (String k : w[4].split(",", -1)) {
                if (k.length() < 2 || k.charAt(k.length() - 1) != '+' && k.charAt(k.length() - 1) != '-') {
                    throw new IllegalArgumentException("key '" + k + "' is not NAME+ or NAME-");
                }
                Ps2Key key;
                try {
                    key = Ps2Key.valueOf(k.substring(0, k.length() - 1));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("no key named '" + k.substring(0, k.length() - 1) + "'");
                }
                keys.add(new HostEvent.Key(key, k.endsWith("+")));
            }
        }
        if (serial.length == 0 && keys.isEmpty()) {
            throw new IllegalArgumentException("an input line with neither serial bytes nor keys");
        }
        return new HostEvent(iteration, nanos, serial, keys);
    }

    static long parseLong(String s, String what) {
        try {
            long v = Long.parseLong(s);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + s + "' is not a number");
        }
    }
}

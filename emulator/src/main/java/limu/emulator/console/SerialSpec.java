// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.console;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;

/**
 * What {@code --serial} attaches to COM1, as QEMU's {@code -serial} names it: {@code stdio} (output on stdout,
 * input from stdin), {@code file:PATH} (output only) and {@code tcp:[HOST]:PORT[,wait]} (a server for one client
 * at a time, on loopback unless HOST says otherwise). A value without a scheme is a file path, as limu's
 * {@code --serial FILE} has always meant ({@code ./stdio} names a file called stdio).
 */
public sealed interface SerialSpec {
    /** Output on stdout, input from stdin. */
    record Stdio() implements SerialSpec {
    }

    /** Output to {@code path}, written through; no input. */
    record File(Path path) implements SerialSpec {
    }

    /** A TCP server at {@code address}; with {@code waitForClient} the kernel starts once a client is connected. */
    record Tcp(InetSocketAddress address, boolean waitForClient) implements SerialSpec {
    }

    /** IllegalArgumentException with a message for the command line when {@code text} is not one of the forms. */
    static SerialSpec parse(String text) {
        if (text.equals("stdio")) {
            return new Stdio();
        }
        if (text.startsWith("file:")) {
            if (text.length() == 5) {
                throw new IllegalArgumentException("--serial file: needs a path, e.g. file:serial.log");
            }
            return new File(Path.of(text.substring(5)));
        }
        if (text.startsWith("tcp:")) {
            return tcp(text.substring(4));
        }
        if (text.isEmpty()) {
            throw new IllegalArgumentException("--serial needs stdio, file:PATH, tcp:[HOST]:PORT[,wait] or a path");
        }
        return new File(Path.of(text));
    }

    private static Tcp tcp(String rest) {
        boolean wait = false;
        String where = rest;
        int comma = rest.indexOf(',');
        if (comma >= 0) {
            String option = rest.substring(comma + 1);
            if (!option.equals("wait")) {
                throw new IllegalArgumentException("--serial tcp:" + rest + ": unknown option '" + option
                        + "' (only wait)");
            }
            wait = true;
            where = rest.substring(0, comma);
        }
        int colon = where.lastIndexOf(':');
        String host = colon < 0 ? "" : where.substring(0, colon);
        String port = where.substring(colon + 1);
        if (!port.matches("\\d{1,5}") || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException("--serial tcp:" + rest + ": '" + port + "' is not a port (0 to 65535)");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);   // an IPv6 literal, as in a URL
        }
        try {
            InetAddress address = host.isEmpty() ? InetAddress.getLoopbackAddress() : InetAddress.getByName(host);
            return new Tcp(new InetSocketAddress(address, Integer.parseInt(port)), wait);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--serial tcp:" + rest + ": unknown host '" + host + "'");
        }
    }
}

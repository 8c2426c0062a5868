// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.ArrayDeque;
import java.util.Deque;

/** Paths on the boot volume as Limine reports them: absolute, {@code /}-separated, with a leading slash. */
final class VolumePath {
    private VolumePath() {
    }

    /** {@code "/" +} the last component of a host or volume path ({@code /} or {@code \} separated). */
    static String ofFileName(String path) {
        String p = path == null ? "" : path;
        int cut = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
        return "/" + p.substring(cut + 1);
    }

    /** {@code path} with a leading slash, {@code .} and {@code ..} components and repeated slashes removed. */
    static String normalise(String path) {
        Deque<String> parts = new ArrayDeque<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                parts.pollLast();
            } else {
                parts.addLast(part);
            }
        }
        return "/" + String.join("/", parts);
    }

    /** The directory part of a volume path: {@code /boot} for {@code /boot/kernel.elf}, {@code /} for {@code /k}. */
    static String directory(String path) {
        String p = normalise(path);
        int cut = p.lastIndexOf('/');
        return cut <= 0 ? "/" : p.substring(0, cut);
    }

    /**
     * {@link #resolve} for a path the kernel chose: empty when its {@code ..} components climb above the volume's
     * root, which {@link #normalise} would silently stop at.
     */
    static java.util.Optional<String> resolveConfined(String executablePath, String path) {
        String joined = path.startsWith("/") ? path : directory(executablePath) + "/" + path;
        int depth = 0;
        for (String part : joined.split("/")) {
            if (part.equals("..")) {
                if (--depth < 0) {
                    return java.util.Optional.empty();
                }
            } else if (!part.isEmpty() && !part.equals(".")) {
                depth++;
            }
        }
        return java.util.Optional.of(normalise(joined));
    }

    /**
     * Limine's rule for internal modules: a path starting with {@code /} is absolute on the volume, anything else is
     * relative to the directory holding the executable.
     */
    static String resolve(String executablePath, String path) {
        if (path.startsWith("/")) {
            return normalise(path);
        }
        return normalise(directory(executablePath) + "/" + path);
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * One shard of a {@code limu test} run spread over machines: shard {@code index} of {@code count}.
 *
 * <p>A kernel belongs to shard {@code crc32(file name) mod count}: the CRC-32 (as zlib's
 * {@code crc32}) of the UTF-8 bytes of the kernel file's name without its folder. The assignment
 * therefore depends only on that name and the shard count: not on the order of the command line,
 * the other kernels, the folder the kernels are in, the machine or the JVM. Kernels with the same
 * file name (which also share a log file and a JUnit class name) land in the same shard.
 *
 * <p>The shard comes from {@code --shard INDEX/COUNT}, else from Bazel's test sharding variables
 * {@code TEST_TOTAL_SHARDS} and {@code TEST_SHARD_INDEX}; with them, {@code TEST_SHARD_STATUS_FILE}
 * is touched to tell Bazel that sharding is honoured.
 */
public record Shard(int index, int count) {
    /** Every kernel: no sharding. */
    public static final Shard ALL = new Shard(0, 1);

    public Shard {
        if (count < 1 || index < 0 || index >= count) {
            throw new IllegalArgumentException("shard " + index + "/" + count
                    + ": needs COUNT >= 1 and 0 <= INDEX < COUNT");
        }
    }

    /** {@code INDEX/COUNT}, e.g. {@code 0/4}; IllegalArgumentException with a message naming {@code what}. */
    public static Shard parse(String text, String what) {
        String[] p = text.trim().split("/", -1);
        if (p.length != 2) {
            throw new IllegalArgumentException(what + " '" + text + "': expected INDEX/COUNT, e.g. 0/4");
        }
        int index = number(p[0], what, text);
        int count = number(p[1], what, text);
        if (count < 1 || index >= count) {
            throw new IllegalArgumentException(what + " '" + text
                    + "': needs COUNT >= 1 and 0 <= INDEX < COUNT (shards are numbered from 0)");
        }
        return new Shard(index, count);
    }

    /**
     * The shard to run: {@code option} (the text of {@code --shard}) when given, else Bazel's
     * variables in {@code env} when {@code TEST_TOTAL_SHARDS} is set, else {@link #ALL}. Touches
     * {@code TEST_SHARD_STATUS_FILE} when it is set and a shard was chosen (Bazel then knows the
     * test runner shards). IllegalArgumentException for a bad value or an unwritable status file.
     */
    public static Shard choose(Optional<String> option, Map<String, String> env) {
        Shard shard;
        if (option.isPresent()) {
            shard = parse(option.get(), "--shard");
        } else if (env.get("TEST_TOTAL_SHARDS") != null) {
            String total = env.get("TEST_TOTAL_SHARDS");
            String index = env.get("TEST_SHARD_INDEX");
            if (index == null) {
                throw new IllegalArgumentException("TEST_TOTAL_SHARDS=" + total + " is set but TEST_SHARD_INDEX is not");
            }
            shard = parse(index.trim() + "/" + total.trim(), "TEST_SHARD_INDEX/TEST_TOTAL_SHARDS");
        } else {
            return ALL;
        }
        String status = env.get("TEST_SHARD_STATUS_FILE");
        if (status != null && !status.isEmpty()) {
            Path p = Path.of(status);
            try {
                if (!Files.exists(p)) {
                    Files.write(p, new byte[0]);
                } else {
                    Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("TEST_SHARD_STATUS_FILE " + status + ": cannot touch it: "
                        + e.getMessage());
            }
        }
        return shard;
    }

    /** Which shard of {@code count} the kernel file {@code kernel} belongs to. */
    public static int of(Path kernel, int count) {
        Path name = kernel.getFileName();
        CRC32 crc = new CRC32();
        crc.update((name == null ? kernel.toString() : name.toString()).getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % count);
    }

    /** Whether {@code kernel} is in this shard. */
    public boolean contains(Path kernel) {
        return of(kernel, count) == index;
    }

    /** The kernels of {@code kernels} in this shard, in their order. */
    public List<Path> select(List<Path> kernels) {
        return kernels.stream().filter(this::contains).toList();
    }

    public boolean isAll() {
        return count == 1;
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }

    private static int number(String s, String what, String text) {
        try {
            int v = Integer.parseInt(s.trim());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + text + "': INDEX and COUNT must be whole numbers >= 0"
                    + " (INDEX/COUNT, e.g. 0/4)");
        }
    }
}

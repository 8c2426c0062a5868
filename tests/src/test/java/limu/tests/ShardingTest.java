// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * {@code limu test --shard INDEX/COUNT} and Bazel's sharding variables: every kernel runs in exactly
 * one shard, the one zlib's CRC-32 of its file name picks, and the shards' JUnit XML merged with
 * junitparser and their coverage merged with {@code lcov -a} equal the unsharded run's.
 */
class ShardingTest {
    /**
     * Seven kernels, one of which fails (tutorial halts without the exit port): spread 3/4 over 2 shards (tutorial
     * with two others), 1/3/3 over 3.
     */
    private static final List<String> KERNELS = List.of("hello.elf", "smp.elf", "idt-checks.elf", "tutorial.elf",
            "platform.elf", "runloop.elf", "acpi-x2apic.elf");
    private static final Pattern LINE = Pattern.compile("(?m)^(PASS|FAIL) (\\S+) ");

    @ParameterizedTest(name = "{0} shards")
    @ValueSource(ints = {2, 3})
    void shardsTogetherAreTheUnshardedRun(int count, @TempDir Path dir) throws Exception {
        List<String> paths = new ArrayList<>();
        for (String k : KERNELS) {
            Files.copy(Limu.kernel(k), dir.resolve(k));
            paths.add(dir.resolve(k).toString());
        }
        Map<String, Integer> expectedShard = zlibShards(KERNELS, count);

        Limu.Result all = test(dir, "all", List.of(), paths);
        assertEquals(28, all.exitCode(), all.toString());
        assertEquals(KERNELS.size(), ran(all).size(), all.toString());

        Map<String, Integer> shardOf = new HashMap<>();
        List<String> xmls = new ArrayList<>();
        List<String> lcovArgs = new ArrayList<>(List.of("lcov", "-q"));
        for (int i = 0; i < count; i++) {
            Limu.Result r = test(dir, "s" + i, List.of("--shard", i + "/" + count), paths);
            Map<String, String> ran = ran(r);
            assertFalse(ran.isEmpty(), "every shard runs some of the seven kernels\n" + r);
            String summary = "limu test: shard " + i + "/" + count + ": " + ran.size() + " of 7 kernels";
            assertTrue(r.stdout().contains(summary), r.toString());
            assertEquals(ran.containsValue("FAIL") ? 28 : 0, r.exitCode(), r.toString());
            for (String k : ran.keySet()) {
                assertFalse(shardOf.containsKey(k), k + " ran in shards " + shardOf.get(k) + " and " + i);
                shardOf.put(k, i);
            }
            xmls.add(dir.resolve("s" + i + ".xml").toString());
            lcovArgs.addAll(List.of("-a", dir.resolve("s" + i + ".info").toString()));
        }
        assertEquals(expectedShard, shardOf, "each kernel in the shard zlib.crc32(file name) % " + count + " names");

        List<String> merge = new ArrayList<>(List.of("python3", "-m", "junitparser", "merge"));
        merge.addAll(xmls);
        merge.add(dir.resolve("merged.xml").toString());
        tool(merge, dir);
        assertEquals(testcases(dir.resolve("all.xml")), testcases(dir.resolve("merged.xml")));

        lcovArgs.addAll(List.of("-o", dir.resolve("merged.info").toString()));
        tool(lcovArgs, dir);
        Map<String, Map<Integer, Long>> unsharded = lines(dir.resolve("all.info"));
        assertTrue(unsharded.size() > 10, "coverage of the seven kernels' sources: " + unsharded.keySet());
        assertEquals(unsharded, lines(dir.resolve("merged.info")));
    }

    @Test
    void bazelVariablesAndTheOptionThatOverridesThem(@TempDir Path dir) throws Exception {
        List<String> paths = new ArrayList<>();
        for (String k : KERNELS) {
            Files.copy(Limu.kernel(k), dir.resolve(k));
            paths.add(dir.resolve(k).toString());
        }
        Map<String, Integer> expected = zlibShards(KERNELS, 3);
        Path status = dir.resolve("shard-status");
        Map<String, String> bazel = Map.of("TEST_TOTAL_SHARDS", "3", "TEST_SHARD_INDEX", "2",
                "TEST_SHARD_STATUS_FILE", status.toString());
        List<String> args = new ArrayList<>(List.of("test", "--success-exit-code", "33", "--halt-is-success", "-j",
                "2", "--log-dir", dir.resolve("logs").toString()));
        args.addAll(paths);
        Limu.Result r = Limu.run(bazel, args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(Files.exists(status), "TEST_SHARD_STATUS_FILE touched");
        assertEquals(names(expected, 2), ran(r).keySet(), r.toString());

        List<String> withOption = new ArrayList<>(args);
        withOption.addAll(1, List.of("--shard", "1/3"));
        Limu.Result o = Limu.run(bazel, withOption.toArray(String[]::new));
        assertEquals(0, o.exitCode(), o.toString());
        assertEquals(names(expected, 1), ran(o).keySet(), "--shard wins over the environment\n" + o);

        // a shard with no kernel passes, with an empty report
        int empty = (zlibShards(List.of("hello.elf"), 64).get("hello.elf") + 1) % 64;
        Limu.Result none = Limu.run("test", "--shard", empty + "/64", "--junit-xml", dir.resolve("none.xml").toString(),
                "--log-dir", dir.resolve("logs").toString(), paths.get(0));
        assertEquals(0, none.exitCode(), none.toString());
        assertTrue(none.stdout().contains("limu test: shard " + empty + "/64: 0 of 1 kernels"), none.toString());
        assertTrue(none.stdout().contains("limu test: 0 passed, 0 failed, 0 kernels"), none.toString());
        assertTrue(Files.readString(dir.resolve("none.xml")).contains("tests=\"0\""));
    }

    @Test
    void badShardsAreUsageErrors(@TempDir Path dir) throws Exception {
        String hello = Limu.kernel("hello.elf").toString();
        String logs = dir.resolve("logs").toString();
        for (String bad : new String[] {"3/3", "1", "-1/2", "a/b", "0/0", "1/2/3", ""}) {
            Limu.Result r = Limu.run("test", "--shard", bad, "--log-dir", logs, hello);
            assertEquals(2, r.exitCode(), "--shard '" + bad + "'\n" + r);
            assertTrue(r.stderr().contains("limu: --shard '" + bad + "'"), r.toString());
            r.assertNoStackTrace();
        }
        Limu.Result env = Limu.run(Map.of("TEST_TOTAL_SHARDS", "2", "TEST_SHARD_INDEX", "2"), "test", "--log-dir",
                logs, hello);
        assertEquals(2, env.exitCode(), env.toString());
        assertTrue(env.stderr().contains("TEST_SHARD_INDEX/TEST_TOTAL_SHARDS '2/2'"), env.toString());
        Limu.Result noIndex = Limu.run(Map.of("TEST_TOTAL_SHARDS", "2"), "test", "--log-dir", logs, hello);
        assertEquals(2, noIndex.exitCode(), noIndex.toString());
        assertTrue(noIndex.stderr().contains("TEST_SHARD_INDEX is not"), noIndex.toString());
    }

    private static Limu.Result test(Path dir, String tag, List<String> shard, List<String> paths) {
        List<String> args = new ArrayList<>(List.of("test", "--success-exit-code", "33", "-j", "2",
                "--junit-xml", dir.resolve(tag + ".xml").toString(), "--coverage", dir.resolve(tag + ".info").toString(),
                "--log-dir", dir.resolve("logs-" + tag).toString()));
        args.addAll(shard);
        args.addAll(paths);
        return Limu.run(args.toArray(String[]::new));
    }

    /** Kernel file name to PASS or FAIL, from the result lines. */
    private static Map<String, String> ran(Limu.Result r) {
        Map<String, String> m = new TreeMap<>();
        Matcher x = LINE.matcher(r.stdout());
        while (x.find()) {
            m.put(Path.of(x.group(2)).getFileName().toString(), x.group(1));
        }
        return m;
    }

    private static TreeSet<String> names(Map<String, Integer> shards, int index) {
        TreeSet<String> s = new TreeSet<>();
        shards.forEach((k, v) -> {
            if (v == index) {
                s.add(k);
            }
        });
        return s;
    }

    /** The shard of each name as Python's zlib computes it: the documented rule, checked outside Java. */
    private static Map<String, Integer> zlibShards(List<String> names, int count) throws Exception {
        String script = "import sys, zlib\nfor n in sys.argv[2:]: print(n, zlib.crc32(n.encode()) % int(sys.argv[1]))";
        List<String> cmd = new ArrayList<>(List.of("python3", "-c", script, Integer.toString(count)));
        cmd.addAll(names);
        Map<String, Integer> m = new TreeMap<>();
        for (String line : tool(cmd, Path.of(".")).split("\n")) {
            String[] p = line.trim().split(" ");
            m.put(p[0], Integer.parseInt(p[1]));
        }
        return m;
    }

    /** Runs a standard tool (junitparser from .limu/python, lcov, python3); fails with its output if it fails. */
    private static String tool(List<String> cmd, Path dir) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("PYTHONPATH", Limu.HOME.resolve(".limu/python").toString());
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), cmd + " did not finish");
        assertEquals(0, p.exitValue(), cmd + " failed (scripts/setup.sh installs junitparser and lcov):\n" + out);
        return out;
    }

    /** Each testcase as name|classname -> its failure (type and message, or "passed") and its system-out. */
    private static Map<String, String> testcases(Path xml) throws Exception {
        NodeList cases = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile())
                .getElementsByTagName("testcase");
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < cases.getLength(); i++) {
            Element c = (Element) cases.item(i);
            NodeList f = c.getElementsByTagName("failure");
            String failure = f.getLength() == 0 ? "passed"
                    : ((Element) f.item(0)).getAttribute("type") + ": " + ((Element) f.item(0)).getAttribute("message");
            String out = c.getElementsByTagName("system-out").item(0).getTextContent();
            String key = c.getAttribute("name") + "|" + c.getAttribute("classname");
            assertFalse(m.containsKey(key), "testcase twice: " + key);
            m.put(key, failure + "\n" + out);
        }
        assertEquals(KERNELS.size(), m.size(), xml + ": " + m.keySet());
        return m;
    }

    /**
     * A tracefile's line records: source file -> line -> hits. Function records are not compared: lcov 1.16
     * cuts a function name at its first comma (Rust generics have them) when it merges tracefiles.
     */
    private static Map<String, Map<Integer, Long>> lines(Path info) throws IOException {
        Map<String, Map<Integer, Long>> m = new TreeMap<>();
        Map<Integer, Long> current = null;
        for (String l : Files.readAllLines(info)) {
            if (l.startsWith("SF:")) {
                current = m.computeIfAbsent(l.substring(3), k -> new TreeMap<>());
            } else if (l.startsWith("DA:")) {
                String[] p = l.substring(3).split(",");
                current.merge(Integer.parseInt(p[0]), Long.parseLong(p[1]), Long::sum);
            }
        }
        return m;
    }
}

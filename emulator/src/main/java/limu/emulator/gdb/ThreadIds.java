// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

/** gdb thread ids: every CPU is a thread, id = CPU index + 1 (0 means "any", -1 "all"). */
final class ThreadIds {
    /** {@link #cpu}'s answer for "all threads". */
    static final int ALL = -1;
    /** {@link #cpu}'s answer for an id that names no CPU. */
    static final int INVALID = -2;

    private ThreadIds() {
    }

    /** The thread id of CPU {@code cpu}, in hex. */
    static String of(int cpu) {
        return Integer.toHexString(cpu + 1);
    }

    /** A thread id (hex; "p1.2" form too): the CPU index, {@link #ALL}, {@code current} for "any", else {@link #INVALID}. */
    static int cpu(String id, int current, int cpuCount) {
        String t = id;
        if (t.startsWith("p")) {
            int dot = t.indexOf('.');
            t = dot < 0 ? "-1" : t.substring(dot + 1);
        }
        if (t.equals("-1")) {
            return ALL;
        }
        long n;
        try {
            n = Rsp.number(t);
        } catch (IllegalArgumentException e) {
            return INVALID;
        }
        if (n == 0) {
            return current;
        }
        return n <= cpuCount ? (int) n - 1 : INVALID;
    }
}

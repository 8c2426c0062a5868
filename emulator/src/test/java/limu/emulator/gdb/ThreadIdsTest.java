// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** gdb's thread ids as limu maps them to CPUs (id = index + 1). */
class ThreadIdsTest {
    @Test
    void idsAreHexCpuIndexPlusOne() {
        assertEquals("1", ThreadIds.of(0));
        assertEquals("10", ThreadIds.of(15));
    }

    @Test
    void parsesPlainMultiprocessAnyAllAndInvalidIds() {
        assertEquals(0, ThreadIds.cpu("1", 2, 4));
        assertEquals(3, ThreadIds.cpu("4", 2, 4));
        assertEquals(1, ThreadIds.cpu("p1.2", 0, 4));
        assertEquals(2, ThreadIds.cpu("0", 2, 4), "0 is any thread: the current one");
        assertEquals(ThreadIds.ALL, ThreadIds.cpu("-1", 2, 4));
        assertEquals(ThreadIds.ALL, ThreadIds.cpu("p1.-1", 2, 4));
        assertEquals(ThreadIds.ALL, ThreadIds.cpu("p1", 2, 4));
        assertEquals(ThreadIds.INVALID, ThreadIds.cpu("5", 2, 4));
        assertEquals(ThreadIds.INVALID, ThreadIds.cpu("zz", 2, 4));
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DebugExitTest {
    private final List<int[]> requests = new ArrayList<>();
    private final DebugExit exit = new DebugExit((status, raw) -> requests.add(new int[] {status, raw}));

    private int statusAfterWrite(int size, int value) {
        DebugExit device = new DebugExit((status, raw) -> { });
        device.portWrite(0xF4, size, value);
        return device.requestedStatus().orElseThrow();
    }

    @Test
    void statusIsValueShiftedLeftOrOne() {
        assertEquals(33, statusAfterWrite(1, 0x10));
        assertEquals(35, statusAfterWrite(1, 0x11));
        assertEquals(1, statusAfterWrite(1, 0x00));
        assertEquals(0x2469, statusAfterWrite(2, 0x1234));
        assertEquals(0x69, DebugExit.hostExitCode(0x2469), "the host keeps 8 bits, as with QEMU");
        assertEquals(3, statusAfterWrite(4, 1));
        assertEquals(-1, statusAfterWrite(4, 0xFFFF_FFFF));
        assertEquals(255, DebugExit.hostExitCode(-1));
    }

    @Test
    void valueIsMaskedToTheAccessSize() {
        assertEquals(0x69, statusAfterWrite(1, 0x1234));
        assertEquals(0x2469, statusAfterWrite(2, 0xABCD_1234));
    }

    @Test
    void listenerHearsTheFirstRequestOnly() {
        assertEquals(Optional.empty(), exit.requestedStatus());
        exit.portWrite(0xF4, 1, 0x10);
        exit.portWrite(0xF4, 1, 0x11);
        assertEquals(1, requests.size());
        assertEquals(33, requests.get(0)[0]);
        assertEquals(0x10, requests.get(0)[1]);
        assertEquals(Optional.of(33), exit.requestedStatus());
        assertEquals(Optional.of(0x10), exit.requestedValue());

        exit.reset();
        assertEquals(Optional.empty(), exit.requestedStatus());
        exit.portWrite(0xF4, 1, 0x11);
        assertEquals(35, requests.get(1)[0]);
    }

    @Test
    void everyPortOfTheRangeExitsAndReadsAreZero() {
        assertEquals(List.of(new PortRange(0xF4, 4)), exit.ports());
        exit.portWrite(0xF7, 1, 2);
        assertEquals(Optional.of(5), exit.requestedStatus());
        for (int size : new int[] {1, 2, 4}) {
            assertEquals(0, exit.portRead(0xF4, size));
        }
    }

    @Test
    void configurableBaseAndSize() {
        DebugExit device = new DebugExit(0x501, 2, (s, r) -> { });
        assertEquals(List.of(new PortRange(0x501, 2)), device.ports());
        assertEquals("isa-debug-exit", device.name());
        assertThrows(IllegalArgumentException.class, () -> device.portWrite(0x501, 3, 0));
        assertTrue(device.requestedStatus().isEmpty());
    }
}

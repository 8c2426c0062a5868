// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class Ps2ControllerTest {
    static final class Power implements PowerListener {
        final List<String> events = new ArrayList<>();

        @Override
        public void resetRequested(String reason) {
            events.add("reset: " + reason);
        }

        @Override
        public void powerOffRequested(String reason) {
            events.add("off: " + reason);
        }
    }

    private final Power power = new Power();
    private final Ps2Controller kbc = new Ps2Controller(power);

    @Test
    void statusSaysNoDataAndInputBufferEmpty() {
        int status = kbc.portRead(0x64, 1);
        assertEquals(0, status & 0x03, "OBF and IBF clear: a probing loop ends at once");
        assertEquals(0x04, status & 0x04, "system flag: self-test passed");
        kbc.portWrite(0x60, 1, 0xFF); // reset the keyboard that is not there
        assertEquals(0, kbc.portRead(0x64, 1) & 0x01, "no reply from an absent device");
    }

    @Test
    void controllerCommands() {
        kbc.portWrite(0x64, 1, 0xAA);
        assertEquals(0x01, kbc.portRead(0x64, 1) & 0x01);
        assertEquals(0x55, kbc.portRead(0x60, 1));
        assertEquals(0, kbc.portRead(0x64, 1) & 0x01);
        kbc.portWrite(0x64, 1, 0xAB);
        assertEquals(0x00, kbc.portRead(0x60, 1));
        kbc.portWrite(0x64, 1, 0x20);
        int config = kbc.portRead(0x60, 1);
        kbc.portWrite(0x64, 1, 0x60);
        kbc.portWrite(0x60, 1, config & ~0x43);
        kbc.portWrite(0x64, 1, 0x20);
        assertEquals(config & ~0x43, kbc.portRead(0x60, 1));
        kbc.portWrite(0x64, 1, 0xD0);
        assertEquals(0x03, kbc.portRead(0x60, 1));
        kbc.portWrite(0x64, 1, 0xFE);
        assertEquals(List.of("reset: 8042 command 0xfe"), power.events);
    }
}

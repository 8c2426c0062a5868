// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.display;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.Dimension;
import java.awt.Rectangle;
import java.awt.event.KeyEvent;
import java.util.Optional;
import limu.devices.Ps2Key;
import org.junit.jupiter.api.Test;

class DisplayWindowTest {
    @Test
    void thePictureIsScaledToFitWithItsAspectAndCentred() {
        assertEquals(new Rectangle(0, 0, 1024, 640), DisplayWindow.placement(1280, 800, 1024, 640));
        assertEquals(new Rectangle(0, 80, 1024, 640), DisplayWindow.placement(1280, 800, 1024, 800),
                "a taller window: black bands above and below");
        assertEquals(new Rectangle(112, 0, 800, 500), DisplayWindow.placement(1280, 800, 1024, 500),
                "a wider window: bands left and right");
        assertEquals(new Rectangle(0, 0, 1280, 800), DisplayWindow.placement(640, 400, 1280, 800), "scaled up");
    }

    @Test
    void theFirstWindowSizeShrinksToTheScreenWithTheAspectKept() {
        assertEquals(new Dimension(1024, 640), DisplayWindow.fitting(1280, 800, new Rectangle(0, 0, 1024, 768)));
        assertEquals(new Dimension(800, 600), DisplayWindow.fitting(800, 600, new Rectangle(0, 0, 1920, 1080)),
                "never enlarged");
    }

    @Test
    void hostKeysMapToPcKeysByPositionAndLocation() {
        assertEquals(Optional.of(Ps2Key.A), HostKeys.ps2Key(KeyEvent.VK_A, KeyEvent.KEY_LOCATION_STANDARD));
        assertEquals(Optional.of(Ps2Key.ESCAPE), HostKeys.ps2Key(KeyEvent.VK_ESCAPE, KeyEvent.KEY_LOCATION_STANDARD));
        assertEquals(Optional.of(Ps2Key.LEFT_SHIFT), HostKeys.ps2Key(KeyEvent.VK_SHIFT, KeyEvent.KEY_LOCATION_LEFT));
        assertEquals(Optional.of(Ps2Key.RIGHT_SHIFT), HostKeys.ps2Key(KeyEvent.VK_SHIFT, KeyEvent.KEY_LOCATION_RIGHT));
        assertEquals(Optional.of(Ps2Key.RIGHT_CTRL), HostKeys.ps2Key(KeyEvent.VK_CONTROL, KeyEvent.KEY_LOCATION_RIGHT));
        assertEquals(Optional.of(Ps2Key.KEYPAD_ENTER), HostKeys.ps2Key(KeyEvent.VK_ENTER, KeyEvent.KEY_LOCATION_NUMPAD));
        assertEquals(Optional.of(Ps2Key.ENTER), HostKeys.ps2Key(KeyEvent.VK_ENTER, KeyEvent.KEY_LOCATION_STANDARD));
        assertEquals(Optional.of(Ps2Key.UP), HostKeys.ps2Key(KeyEvent.VK_UP, KeyEvent.KEY_LOCATION_STANDARD));
        assertEquals(Optional.empty(), HostKeys.ps2Key(KeyEvent.VK_F13, KeyEvent.KEY_LOCATION_STANDARD),
                "a PC keyboard has no F13");
    }
}

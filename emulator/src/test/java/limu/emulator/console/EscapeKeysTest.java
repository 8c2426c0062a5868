// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EscapeKeysTest {
    private final EscapeKeys keys = new EscapeKeys();

    private List<EscapeKeys.Action> typed(int... bytes) {
        List<EscapeKeys.Action> actions = new ArrayList<>();
        for (int b : bytes) {
            actions.add(keys.typed(b));
        }
        return actions;
    }

    @Test
    void ordinaryBytesGoToTheGuestIncludingCtrlCAndHighBytes() {
        assertEquals(List.of(EscapeKeys.Action.SEND, EscapeKeys.Action.SEND, EscapeKeys.Action.SEND,
                EscapeKeys.Action.SEND), typed('x', 'h', 0x03, 0xFF));
    }

    @Test
    void ctrlAThenXQuitsAndThenHShowsHelp() {
        assertEquals(List.of(EscapeKeys.Action.NONE, EscapeKeys.Action.QUIT), typed(0x01, 'x'));
        assertEquals(List.of(EscapeKeys.Action.NONE, EscapeKeys.Action.HELP), typed(0x01, 'h'));
    }

    @Test
    void ctrlATwiceSendsOneCtrlAAndTheNextCtrlAEscapesAgain() {
        assertEquals(List.of(EscapeKeys.Action.NONE, EscapeKeys.Action.SEND, EscapeKeys.Action.SEND),
                typed(0x01, 0x01, 'x'));
        assertEquals(List.of(EscapeKeys.Action.NONE, EscapeKeys.Action.QUIT), typed(0x01, 'x'));
    }

    @Test
    void anUnknownKeyAfterCtrlAIsDroppedAndEndsTheEscape() {
        assertEquals(List.of(EscapeKeys.Action.NONE, EscapeKeys.Action.NONE, EscapeKeys.Action.SEND),
                typed(0x01, 'q', 'x'));
        assertEquals(List.of(EscapeKeys.Action.NONE, EscapeKeys.Action.NONE), typed(0x01, 'X'));
    }
}

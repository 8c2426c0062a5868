// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * Framebuffer: {@code response { u64 revision; u64 framebuffer_count; limine_framebuffer **framebuffers; }},
 * response revision 1 (each framebuffer lists its video modes). One framebuffer, the machine's display
 * ({@link FirmwareTables}), with one video mode, the current one; no EDID. {@code address} is its HHDM address (the
 * HHDM maps it write-combining in every base revision).
 * <p>
 * {@code limine_framebuffer} (80 bytes): address, width, height, pitch (u64 each), u16 bpp, u8 memory_model (1 =
 * RGB), red/green/blue mask size and shift (u8 each), 7 unused bytes, u64 edid_size, edid pointer, then (response
 * revision 1) u64 mode_count and the modes pointer array. {@code limine_video_mode}: pitch, width, height (u64),
 * u16 bpp, u8 memory_model, the six mask bytes.
 */
final class FramebufferRequest extends LimineRequest {
    static final int RESPONSE_REVISION = 1;
    static final int FRAMEBUFFER_SIZE = 80;
    static final int VIDEO_MODE_SIZE = 40;
    static final int MEMORY_MODEL_RGB = 1;
    /** Red, green, blue mask size and shift: x8r8g8b8. */
    static final byte[] MASKS = {8, 16, 8, 8, 8, 0};

    FramebufferRequest() {
        super("framebuffer", 0x9d5827dcd881dd75L, 0xa3148604f6fab11bL);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        Optional<FramebufferPlan> placed = context.firmware().framebuffer();
        if (placed.isEmpty()) {
            return OptionalLong.empty();
        }
        FramebufferPlan fb = placed.get();
        long response = context.allocateResponse(24, "the framebuffer response");
        long list = context.allocate(8, 8, "the framebuffer list");
        long framebuffer = context.allocate(FRAMEBUFFER_SIZE, 8, "the framebuffer description");
        long modes = context.allocate(8, 8, "the video mode list");
        long mode = context.allocate(VIDEO_MODE_SIZE, 8, "the video mode");

        byte[] f = new byte[FRAMEBUFFER_SIZE];
        LittleEndian.putU64(f, 0, context.hhdm(fb.physicalAddress()));
        LittleEndian.putU64(f, 8, fb.width());
        LittleEndian.putU64(f, 16, fb.height());
        LittleEndian.putU64(f, 24, fb.pitch());
        f[32] = (byte) fb.bpp();
        f[33] = (byte) (fb.bpp() >>> 8);
        f[34] = MEMORY_MODEL_RGB;
        System.arraycopy(MASKS, 0, f, 35, MASKS.length);
        // 41..47 unused; edid_size 0 and edid NULL at 48 and 56
        LittleEndian.putU64(f, 64, 1);
        LittleEndian.putU64(f, 72, context.hhdm(modes));
        context.write(framebuffer, f);

        byte[] m = new byte[VIDEO_MODE_SIZE];
        LittleEndian.putU64(m, 0, fb.pitch());
        LittleEndian.putU64(m, 8, fb.width());
        LittleEndian.putU64(m, 16, fb.height());
        m[24] = (byte) fb.bpp();
        m[25] = (byte) (fb.bpp() >>> 8);
        m[26] = MEMORY_MODEL_RGB;
        System.arraycopy(MASKS, 0, m, 27, MASKS.length);
        context.write(mode, m);

        context.writeU64(modes, context.hhdm(mode));
        context.writeU64(list, context.hhdm(framebuffer));
        context.writeU64(response, RESPONSE_REVISION);
        context.writeU64(response + 8, 1);
        context.writeU64(response + 16, context.hhdm(list));
        return OptionalLong.of(response);
    }

    @Override
    String unansweredReason(BootContext context) {
        return "the machine has no display";
    }
}

"""Generated test videos (ffmpeg lavfi): a busy street-like clip and one clip per fault.

Faulty clips are normal for FAULT_AT seconds (the camera learns its baseline), then show
the fault until the end.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

FAULT_AT = 3
DURATION = 12
SIZE = "320x240"
FPS = 10

_BASE = f"testsrc2=size={SIZE}:rate={FPS},noise=alls=10:allf=t"
_ON = f"enable='gte(t,{FAULT_AT})'"

CLIPS: dict[str, str] = {
    "normal": _BASE,
    "frozen": f"testsrc2=size={SIZE}:rate={FPS},noise=alls=10:allf=t,"
    f"trim=duration={FAULT_AT},tpad=stop_mode=clone:stop_duration={DURATION}",
    "black": f"{_BASE},drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:{_ON}",
    "blurred": f"{_BASE},boxblur=8:2:{_ON}",
    "covered": f"{_BASE},drawbox=x=0:y=0:w=iw:h=ih*0.85:color=0x404040:t=fill:{_ON}",
    "moved": f"testsrc2=size=400x300:rate={FPS},noise=alls=10:allf=t,"
    f"crop=w=320:h=240:x='if(gte(t,{FAULT_AT}),60,0)':y='if(gte(t,{FAULT_AT}),40,0)'",
}


def make_clip(folder: Path, kind: str, *, gop: int = FPS) -> Path:
    """Encode clip `kind` as H.264 MP4 in `folder` (cached by name)."""
    path = folder / f"{kind}.mp4"
    if not path.exists():
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                CLIPS[kind],
                "-t",
                str(DURATION),
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-g",
                str(gop),
                "-pix_fmt",
                "yuv420p",
                str(path),
            ],
            check=True,
        )
    return path

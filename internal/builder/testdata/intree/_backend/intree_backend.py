# A minimal in-tree PEP 517 backend: writes a wheel by hand.
import base64
import hashlib
import os
import time
import zipfile

FILES = {
    "intree/__init__.py": b"ANSWER = 42\n",
    "intree-0.1.dist-info/METADATA": b"Metadata-Version: 2.1\nName: intree\nVersion: 0.1\n",
    "intree-0.1.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: intree\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}


def get_requires_for_build_wheel(config_settings=None):
    if os.environ.get("INTREE_SLEEP"):
        time.sleep(float(os.environ["INTREE_SLEEP"]))
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    if config_settings and config_settings.get("fail"):
        raise RuntimeError("asked to fail: " + config_settings["fail"])
    print("intree backend building in", os.getcwd())
    name = "intree-0.1-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for path, data in FILES.items():
            z.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (path, digest, len(data)))
        record.append("intree-0.1.dist-info/RECORD,,")
        z.writestr("intree-0.1.dist-info/RECORD", "\n".join(record) + "\n")
    return name


def build_sdist(sdist_directory, config_settings=None):
    import tarfile

    name = "intree-0.1.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tar:
        for path in ["pyproject.toml", "_backend/intree_backend.py"]:
            tar.add(path, arcname="intree-0.1/" + path)
    return name

#!/bin/sh
# A "QEMU" that stops answering: reads nothing, says nothing.
exec sleep 600

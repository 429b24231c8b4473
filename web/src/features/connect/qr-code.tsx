import { useEffect, useRef } from 'react';
import QRCode from 'qrcode';

/**
 * Renders the session's raw QR string on a canvas. The raw value is exposed as data-qr-value so
 * tests can compare it with what they decode from the picture.
 */
export function QrCode({ value, label, size = 264 }: { value: string; label: string; size?: number }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const scale = Math.max(1, Math.ceil(window.devicePixelRatio || 1));
    QRCode.toCanvas(
      canvas,
      value,
      { width: size * scale, margin: 2, errorCorrectionLevel: 'M', color: { dark: '#111b21', light: '#ffffff' } },
      (error) => {
        if (error) console.warn('QR render failed', error);
        canvas.style.width = `${size}px`;
        canvas.style.height = `${size}px`;
      },
    );
  }, [value, size]);

  return (
    <canvas
      ref={canvasRef}
      className="qr-canvas"
      role="img"
      aria-label={label}
      data-qr-value={value}
      width={size}
      height={size}
      style={{ width: size, height: size }}
    />
  );
}

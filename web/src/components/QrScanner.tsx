/** Reads a QR code (e-health card) with the device camera; jsQR decodes the video frames in the browser. */
import { useEffect, useRef, useState } from 'react';
import { Alert, Modal } from 'antd';
import { useI18n } from '../i18n';

export function QrScanner({ open, onClose, onResult }: { open: boolean; onClose(): void; onResult(text: string): void }) {
  const { t } = useI18n();
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!open) return;
    let stream: MediaStream | undefined;
    let frame = 0;
    let stopped = false;
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    (async () => {
      try {
        const { default: jsQR } = await import('jsqr');
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
        if (stopped || !video.current) return;
        video.current.srcObject = stream;
        await video.current.play();
        const tick = () => {
          const v = video.current;
          if (stopped || !v || !ctx) return;
          if (v.readyState === v.HAVE_ENOUGH_DATA) {
            canvas.width = v.videoWidth;
            canvas.height = v.videoHeight;
            ctx.drawImage(v, 0, 0);
            const code = jsQR(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
            if (code?.data) {
              onResult(code.data);
              return;
            }
          }
          frame = requestAnimationFrame(tick);
        };
        tick();
      } catch (e) {
        setError(`${t('cameraError')}: ${(e as Error).message}`);
      }
    })();
    return () => {
      stopped = true;
      cancelAnimationFrame(frame);
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, [open, onResult, t]);
  return (
    <Modal open={open} onCancel={onClose} footer={null} title={t('scanTitle')} destroyOnClose>
      {error ? <Alert type="error" message={error} /> : <video ref={video} style={{ width: '100%' }} muted playsInline />}
    </Modal>
  );
}

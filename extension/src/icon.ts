import { LabIcon } from '@jupyterlab/ui-components';

/**
 * A stylised processor chip: a rounded die with four pins on each side
 * and a small "compass" mark in its centre. Paths use the `jp-icon3`
 * class so JupyterLab recolours them for light and dark themes.
 */
const logoSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path fill-rule="evenodd" d="M7 5h10a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2zm0 1.6a.4.4 0 0 0-.4.4v10c0 .22.18.4.4.4h10a.4.4 0 0 0 .4-.4V7a.4.4 0 0 0-.4-.4z"/>
    <path d="M12 8.2l1.3 2.5 2.5 1.3-2.5 1.3-1.3 2.5-1.3-2.5-2.5-1.3 2.5-1.3z"/>
    <rect x="8.2" y="2" width="1.6" height="2.4" rx=".5"/>
    <rect x="11.2" y="2" width="1.6" height="2.4" rx=".5"/>
    <rect x="14.2" y="2" width="1.6" height="2.4" rx=".5"/>
    <rect x="8.2" y="19.6" width="1.6" height="2.4" rx=".5"/>
    <rect x="11.2" y="19.6" width="1.6" height="2.4" rx=".5"/>
    <rect x="14.2" y="19.6" width="1.6" height="2.4" rx=".5"/>
    <rect x="2" y="8.2" width="2.4" height="1.6" rx=".5"/>
    <rect x="2" y="11.2" width="2.4" height="1.6" rx=".5"/>
    <rect x="2" y="14.2" width="2.4" height="1.6" rx=".5"/>
    <rect x="19.6" y="8.2" width="2.4" height="1.6" rx=".5"/>
    <rect x="19.6" y="11.2" width="2.4" height="1.6" rx=".5"/>
    <rect x="19.6" y="14.2" width="2.4" height="1.6" rx=".5"/>
  </g>
</svg>`;

/**
 * The AI OS workbench logo, used as the left sidebar tab icon.
 */
export const logoIcon = new LabIcon({
  name: 'aios-workbench:logo',
  svgstr: logoSvg
});

// The image viewer: GET /api/images/{id}/png with the window changed by dragging (horizontal:
// width, vertical: level), a frame slider, zoom, the attributes with search, download.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { get, hexTag, query, tagPathText, type Image, type Series, type Study, type TagPath } from '../api';
import { ErrorBox, Link, Page, useData } from '../ui';

interface ImageInformation {
  numberOfFrames: number;
  frameIndex: number;
  minimumPixelValue: number;
  maximumPixelValue: number;
}

interface Attribute {
  tagPath?: unknown;
  namePath?: unknown;
  tag?: number;
  name?: string;
  vr: string;
  length: number;
  depth?: number;
  values: string[];
}

/** The full path, e.g. `(0054,0016)[1].(0054,0300)[1].(0008,0100)`. */
function tagText(a: Attribute): string {
  return tagPathText(a.tagPath as TagPath, true);
}
/** The element's own tag; the path shows as indentation and in the tooltip. */
function leafTag(a: Attribute): string {
  const leaf = a.tagPath as TagPath | undefined;
  return leaf && typeof leaf.tag === 'number' ? hexTag(leaf.tag) : '';
}
/** The element's own name; its sequences show as the tree around it. */
function nameText(a: Attribute): string {
  if (Array.isArray(a.namePath) && a.namePath.length) return String(a.namePath[a.namePath.length - 1]);
  return tagPathText(a.tagPath as TagPath);
}

/** One line of the attribute tree: an element, or an item of a sequence (which the node does not
 * list itself: its elements' paths name it). */
interface TreeRow {
  key: string; // the path in hex, e.g. `(0054,0016)[1]` for an item
  depth: number;
  attribute?: Attribute; // absent for an item
  item?: number | string;
  ancestors: string[]; // the keys of the sequences and items it lies in, outermost first
}

const isItem = (key: string) => key.endsWith(']');

/** The attributes (depth first, as `GET /api/images/{id}/attributes` lists them) as tree rows,
 * an item row before the first element of each item. */
function treeRows(attributes: Attribute[]): TreeRow[] {
  const rows: TreeRow[] = [];
  const items = new Set<string>();
  for (const a of attributes) {
    const path = a.tagPath as TagPath | undefined;
    const steps: TagPath[] = [];
    for (let p = path?.previous; p; p = p.previous) if (p.item !== undefined) steps.unshift(p);
    const ancestors: string[] = [];
    steps.forEach((step, depth) => {
      ancestors.push(tagPathText({ ...step, item: undefined }, true));
      const key = tagPathText(step, true);
      if (!items.has(key)) {
        items.add(key);
        rows.push({ key, depth: depth + 1, item: step.item, ancestors: [...ancestors] });
      }
      ancestors.push(key);
    });
    rows.push({ key: tagText(a), depth: steps.length, attribute: a, ancestors });
  }
  return rows;
}

/** The tree as shown: sequences start closed and items open (`toggled` flips that); a search
 * shows the matching elements with every sequence and item around them opened. */
function visibleRows(rows: TreeRow[], toggled: Set<string>, search: string) {
  const open = (key: string) => (isItem(key) ? !toggled.has(key) : toggled.has(key));
  const q = search.trim().toLowerCase();
  if (!q) return { shown: rows.filter((r) => r.ancestors.every(open)), open };
  const matches = rows.filter(
    ({ attribute: a }) =>
      a &&
      (tagText(a).toLowerCase().includes(q) ||
        nameText(a).toLowerCase().includes(q) ||
        a.values.join('\\').toLowerCase().includes(q)),
  );
  const around = new Set(matches.flatMap((r) => r.ancestors));
  const keep = new Set(matches.map((r) => r.key));
  return { shown: rows.filter((r) => keep.has(r.key) || around.has(r.key)), open: (key: string) => around.has(key) || open(key) };
}

export function Viewer({ id }: { id: number }) {
  const info = useData(() => get<ImageInformation>(`/images/${id}/imageinformation`), [id]);
  const image = useData(() => get<Image>(`/metadata/images/${id}`), [id]);
  const attributes = useData(() => get<Attribute[]>(`/images/${id}/attributes`), [id]);
  // Back to the browse page at this image's patient, study and series.
  const back = useData(async () => {
    const image = await get<Image>(`/metadata/images/${id}`);
    const series = await get<Series>(`/metadata/series/${image.seriesId}`);
    const study = await get<Study>(`/metadata/studies/${series.studyId}`);
    return `/patients?patient=${study.patientId}&study=${study.id}&series=${series.id}`;
  }, [id]);
  const [frame, setFrame] = useState(1);
  const [window, setWindow] = useState<{ min: number; max: number } | null>(null);
  const [zoom, setZoom] = useState(1);
  const [search, setSearch] = useState('');
  const [pngError, setPngError] = useState<string>('');
  const [src, setSrc] = useState('');
  const loading = useRef(false);
  const pending = useRef<string | null>(null);
  const drag = useRef<{ x: number; y: number; min: number; max: number } | null>(null);

  const range = info.data ? info.data.maximumPixelValue - info.data.minimumPixelValue : 0;
  const wanted =
    `/api/images/${id}/png` +
    query({
      framenumber: frame,
      windowmin: window ? Math.round(window.min) : undefined,
      windowmax: window ? Math.round(window.max) : undefined,
    });

  // One PNG at a time: while one loads, only the newest wanted one waits.
  useEffect(() => {
    if (loading.current) pending.current = wanted;
    else {
      loading.current = true;
      setSrc(wanted);
    }
  }, [wanted]);
  const loaded = () => {
    loading.current = false;
    setPngError('');
    if (pending.current && pending.current !== src) {
      const next = pending.current;
      pending.current = null;
      loading.current = true;
      setSrc(next);
    }
  };
  const failed = async () => {
    loading.current = false;
    const r = await fetch(src, { credentials: 'same-origin' });
    setPngError(r.ok ? 'The image could not be shown' : `${(await r.text()).trim()} (${r.status})`);
  };

  const start = (e: PointerEvent) => {
    // Without a window yet, start from the pixel value range (or 12 bits when it is unknown).
    const base = window ?? (range > 0 ? { min: info.data!.minimumPixelValue, max: info.data!.maximumPixelValue } : { min: 0, max: 4095 });
    drag.current = { x: e.clientX, y: e.clientY, ...base };
    (e.currentTarget as Element).setPointerCapture(e.pointerId);
    e.preventDefault();
  };
  const move = (e: PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    const scale = Math.max(1, (d.max - d.min || range || 1) / 200);
    const width = Math.max(1, d.max - d.min + (e.clientX - d.x) * scale);
    const center = (d.max + d.min) / 2 + (e.clientY - d.y) * scale;
    setWindow({ min: center - width / 2, max: center + width / 2 });
  };
  const end = () => {
    drag.current = null;
  };

  const tree = useMemo(() => treeRows(attributes.data ?? []), [attributes.data]);
  const [toggled, setToggled] = useState<Set<string>>(new Set());
  const { shown, open } = useMemo(() => visibleRows(tree, toggled, search), [tree, toggled, search]);
  const toggle = (key: string) => {
    const next = new Set(toggled);
    next.has(key) ? next.delete(key) : next.add(key);
    setToggled(next);
  };

  const frames = info.data?.numberOfFrames ?? 1;
  return (
    <Page
      title={`Image ${id}`}
      actions={
        <>
          <Link href={back.data ?? '/patients'} class="button">
            ‹ Browse
          </Link>
          <a class="button" href={`/api/images/${id}`} download={`image-${id}.dcm`}>
            Download DICOM
          </a>
        </>
      }
    >
      <div class="viewer">
        <div class="stage-wrap">
          <div class="tools">
            <button onClick={() => setZoom(Math.max(0.25, zoom / 1.25))} aria-label="Zoom out">
              −
            </button>
            <span class="zoom">{Math.round(zoom * 100)}%</span>
            <button onClick={() => setZoom(Math.min(8, zoom * 1.25))} aria-label="Zoom in">
              +
            </button>
            <button onClick={() => setZoom(1)}>Fit</button>
            <button onClick={() => setWindow(null)}>Reset window</button>
            <span class="window" data-testid="window">
              {window ? `window ${Math.round(window.min)} – ${Math.round(window.max)}` : 'default window'}
            </span>
          </div>
          <div
            class="stage"
            onPointerDown={start}
            onPointerMove={move}
            onPointerUp={end}
            onPointerCancel={end}
            onWheel={(e) => {
              e.preventDefault();
              setZoom(Math.min(8, Math.max(0.25, zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1))));
            }}
            title="Drag to change the window: left/right width, up/down level"
          >
            {src && (
              <img
                src={src}
                alt={`image ${id}`}
                draggable={false}
                style={{ transform: `scale(${zoom})` }}
                onLoad={loaded}
                onError={failed}
              />
            )}
          </div>
          {pngError && <div class="error">{pngError}</div>}
          {frames > 1 && (
            <label class="frame">
              Frame {frame} / {frames}
              <input
                type="range"
                min={1}
                max={frames}
                value={frame}
                onInput={(e) => setFrame(Number(e.currentTarget.value))}
              />
            </label>
          )}
        </div>
        <aside class="side">
          <h2>Information</h2>
          <ErrorBox error={info.error || image.error} />
          <dl class="facts">
            <dt>Frames</dt>
            <dd>{frames}</dd>
            <dt>Pixel values</dt>
            <dd>
              {info.data ? `${info.data.minimumPixelValue} – ${info.data.maximumPixelValue}` : ''}
            </dd>
            <dt>SOP instance</dt>
            <dd class="uid">{image.data?.sopInstanceUID?.value}</dd>
            <dt>Instance</dt>
            <dd>{image.data?.instanceNumber?.value}</dd>
          </dl>
          <h2>Attributes</h2>
          <div class="tree-tools">
            <button
              class="small"
              onClick={() => setToggled(new Set(tree.filter((r) => r.attribute?.vr === 'SQ').map((r) => r.key)))}
            >
              Expand all
            </button>
            <button class="small" onClick={() => setToggled(new Set())}>
              Collapse all
            </button>
          </div>
          <input
            type="search"
            placeholder="Search tag, name or value…"
            aria-label="Search attributes"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
          <ErrorBox error={attributes.error} />
          <div class="attributes">
            <table class="grid compact attribute-table">
              <thead>
                <tr>
                  <th>Tag</th>
                  <th>Name</th>
                  <th>VR</th>
                  <th>Value</th>
                </tr>
              </thead>
              <tbody>
                {shown.slice(0, 500).map((r) => {
                  const a = r.attribute;
                  const pad = { paddingLeft: 6 + 16 * r.depth - (a ? 0 : 8) + 'px' };
                  const branch = !a || a.vr === 'SQ';
                  const twisty = branch && (
                    <button
                      class="twisty"
                      aria-expanded={open(r.key)}
                      aria-label={(open(r.key) ? 'Collapse ' : 'Expand ') + (a ? nameText(a) : `item ${r.item}`)}
                      onClick={() => toggle(r.key)}
                    >
                      {open(r.key) ? '▾' : '▸'}
                    </button>
                  );
                  if (!a)
                    return (
                      <tr class="item" data-key={r.key}>
                        <td />
                        <td style={pad} colSpan={3}>
                          {twisty} Item {r.item}
                        </td>
                      </tr>
                    );
                  return (
                    <tr class={branch ? 'sequence' : ''} data-key={r.key}>
                      <td class="mono" title={r.key}>
                        {leafTag(a)}
                      </td>
                      <td style={pad}>
                        {twisty} {nameText(a)}
                      </td>
                      <td class="mono">{a.vr}</td>
                      <td class="value">{a.values.join('\\')}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </aside>
      </div>
    </Page>
  );
}

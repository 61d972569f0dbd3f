// The selection the browse page builds (patients, studies, series) and every page can act on: it
// lives in the shell, so it survives a visit to the viewer or to the boxes and SCUs pages.
import { createContext } from 'preact';
import { get, query, type Image, type Patient, type Series, type Study } from './api';

export type Level = 'patients' | 'studies' | 'series';
export type Selection = Map<string, { level: Level; id: number; label: string }>;

export const SelectionContext = createContext<{ selection: Selection; setSelection: (s: Selection) => void }>({
  selection: new Map(),
  setSelection: () => {},
});

/** The image ids of one selected item (GET /api/metadata/images or .../{id}/images). */
async function imagesOf(level: Level, id: number): Promise<number[]> {
  const images =
    level === 'series'
      ? await get<Image[]>(`/metadata/images${query({ seriesid: id, count: 1000000 })}`)
      : await get<Image[]>(`/metadata/${level}/${id}/images`);
  return images.map((i) => i.id);
}

/** Every image id of a selection, asked level by level. */
export async function imageIdsOf(selection: Selection): Promise<number[]> {
  const ids = new Set<number>();
  for (const s of selection.values()) (await imagesOf(s.level, s.id)).forEach((i) => ids.add(i));
  return [...ids];
}

/** The patient a selected item belongs to (GET /api/metadata/studies/{id}, /series/{id}). */
async function patientIdOf(level: Level, id: number): Promise<number> {
  if (level === 'patients') return id;
  const studyId = level === 'studies' ? id : (await get<Series>(`/metadata/series/${id}`)).studyId;
  return (await get<Study>(`/metadata/studies/${studyId}`)).patientId;
}

/** The selection's patients, each with its images (an image selected twice counts once). */
export async function patientsOf(selection: Selection): Promise<{ patient: Patient; imageIds: number[] }[]> {
  const byPatient = new Map<number, Set<number>>();
  for (const s of selection.values()) {
    const patientId = await patientIdOf(s.level, s.id);
    const ids = byPatient.get(patientId) ?? new Set<number>();
    (await imagesOf(s.level, s.id)).forEach((i) => ids.add(i));
    byPatient.set(patientId, ids);
  }
  const out = [];
  for (const [patientId, ids] of byPatient)
    out.push({ patient: await get<Patient>(`/metadata/patients/${patientId}`), imageIds: [...ids] });
  return out;
}

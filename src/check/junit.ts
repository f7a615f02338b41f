/**
 * JUnit XML, the format CI systems render as test results: one <testsuite> per config, one
 * <testcase> per expectation, a <failure> where it failed. A test case is named by what it checks
 * alone: CI systems follow a test's history by its name, so the bound and the measured value
 * (which change with every baseline and every run) go in its message and output instead.
 */
import type { Verdict } from './verdict.js';

export interface SuiteResult {
  readonly name: string;
  readonly file: string;
  readonly seconds: number;
  readonly verdicts: readonly Verdict[];
}

export function junitXml(suites: readonly SuiteResult[]): string {
  const failures = (s: SuiteResult): number => s.verdicts.filter((v) => !v.pass).length;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = suites.reduce((n, s) => n + s.verdicts.length, 0);
  const failed = suites.reduce((n, s) => n + failures(s), 0);
  lines.push(`<testsuites name="adam-lab check" tests="${total}" failures="${failed}">`);
  for (const suite of suites) {
    lines.push(
      `  <testsuite name="${attribute(suite.name)}" tests="${suite.verdicts.length}" failures="${failures(suite)}" time="${suite.seconds.toFixed(3)}" file="${attribute(suite.file)}">`,
    );
    for (const v of suite.verdicts) {
      const detail = text(`expected ${v.expectation} ${v.bound}, measured ${v.measured}`);
      lines.push(`    <testcase classname="${attribute(suite.name)}" name="${attribute(v.expectation)}">`);
      if (v.pass) lines.push(`      <system-out>${detail}</system-out>`);
      else lines.push(`      <failure message="${attribute(`measured ${v.measured}, expected ${v.bound}`)}">${detail}</failure>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

function text(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attribute(value: string): string {
  return text(value).replace(/"/g, '&quot;');
}
